using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Protocol;

/// <summary>
/// The one reading of an address a user or a runtime writes: every form that names the same address gives the same
/// <see cref="IPAddress"/> (the lease's key), and every form that could name another one, or none of ours, is refused
/// with the reason. .NET's own parser takes <c>10.1</c> for 10.0.0.1 and <c>10.0.0.010</c> for 10.0.0.8 (octal), keeps
/// an IPv6 zone in the address (so <c>fe80::1%2</c> is not <c>fe80::1</c>), and accepts IPv4 mapped into IPv6: none of
/// that is let through here.
/// </summary>
public static class AddressText
{
    /// <summary>Parses an IPv4 address in dotted decimal (four parts, no leading zeros) or an IPv6 address without a zone.</summary>
    public static bool TryParse(string text, out IPAddress address, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        address = IPAddress.None;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            if (text.Contains('%', StringComparison.Ordinal) || text.StartsWith('[') || !IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = $"\"{text}\" is not an IPv6 address without a zone (no %interface, no brackets)";
                return false;
            }

            if (v6.IsIPv4MappedToIPv6)
            {
                problem = $"\"{text}\" is an IPv4 address mapped into IPv6; write {v6.MapToIPv4()}";
                return false;
            }

            address = v6;
            problem = "";
            return true;
        }

        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0') || int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) > 255))
        {
            problem = $"\"{text}\" is not an IPv4 address in dotted decimal (four numbers 0-255, no leading zeros)";
            return false;
        }

        address = IPAddress.Parse(text);
        problem = "";
        return true;
    }
}
