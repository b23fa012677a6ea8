using System.Net;
using CsCheck;

namespace Yurtnet.Protocol.Tests;

public sealed class AddressTextTests
{
    [Theory]
    [InlineData("10.1", "dotted decimal")]
    [InlineData("10.0.0.010", "dotted decimal")]
    [InlineData("010.1.1.1", "dotted decimal")]
    [InlineData("0x0a.0.0.1", "dotted decimal")]
    [InlineData("167772161", "dotted decimal")]
    [InlineData("10.0.0.256", "dotted decimal")]
    [InlineData(" 10.0.0.1", "dotted decimal")]
    [InlineData("fe80::1%eth0", "without a zone")]
    [InlineData("fe80::1%2", "without a zone")]
    [InlineData("[fd00::1]", "without a zone")]
    [InlineData("::ffff:10.0.0.1", "mapped into IPv6; write 10.0.0.1")]
    public void Forms_that_could_name_another_address_are_refused_with_the_reason(string text, string reason)
    {
        Assert.False(AddressText.TryParse(text, out _, out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_ipv4_address_in_dotted_decimal_reads_back_as_itself()
    {
        Gen.UInt.Sample(n =>
        {
            var address = new IPAddress(BitConverter.GetBytes(n));
            return AddressText.TryParse(address.ToString(), out var parsed, out _) && parsed.Equals(address);
        });
    }

    [Fact]
    public void Every_written_form_of_an_ipv6_address_gives_one_lease_key()
    {
        Gen.Byte.Array[16].Where(b => !new IPAddress(b).IsIPv4MappedToIPv6).Sample(bytes =>
        {
            var address = new IPAddress(bytes);
            var expanded = string.Join(':', Enumerable.Range(0, 8).Select(i => ((bytes[2 * i] << 8) | bytes[(2 * i) + 1]).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)));
            return AddressText.TryParse(address.ToString(), out var canonical, out _)
                && AddressText.TryParse(expanded, out var fromExpanded, out _)
                && canonical.Equals(address) && fromExpanded.Equals(address) && fromExpanded.ToString() == address.ToString();
        });
    }

    [Fact]
    public void No_string_makes_the_parser_throw()
    {
        Gen.String[Gen.Char["0123456789abcdefABCDEF.:%/[]x -"], 0, 48].Sample(text =>
        {
            if (AddressText.TryParse(text, out var parsed, out var problem))
            {
                return problem.Length == 0 && parsed.ScopeId == 0 && !parsed.IsIPv4MappedToIPv6;
            }

            return problem.Length > 0;
        });
    }
}
