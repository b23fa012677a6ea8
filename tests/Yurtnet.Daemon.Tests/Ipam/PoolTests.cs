using System.Net;
using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.Tests.Ipam;

public sealed class PoolTests
{
    [Theory]
    [InlineData("10.22.0.0/24", "10.22.0.1", "253")]
    [InlineData("10.22.0.0/30", "10.22.0.1", "1")]
    [InlineData("fd00:22::/120", "fd00:22::1", "254")]
    public void Gateway_is_the_first_host_and_capacity_excludes_reserved(string cidr, string gateway, string capacity)
    {
        Assert.True(Pool.TryParse(cidr, out var pool, out _));

        Assert.Equal(IPAddress.Parse(gateway), pool.Gateway);
        Assert.Equal(capacity, pool.Capacity.ToString());
    }

    [Theory]
    [InlineData("10.22.0.5/24")]
    [InlineData("10.22.0.0/31")]
    [InlineData("fd00::/127")]
    [InlineData("nonsense")]
    public void Unusable_pool_is_refused_with_a_reason(string cidr)
    {
        Assert.False(Pool.TryParse(cidr, out _, out var problem));
        Assert.Contains(cidr, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Offsets_and_addresses_convert_both_ways()
    {
        Assert.True(Pool.TryParse("fd00:22::/64", out var pool, out _));

        var address = pool.AddressAt(0x1_0000_0001);

        Assert.Equal(IPAddress.Parse("fd00:22::1:0:1"), address);
        Assert.Equal((UInt128)0x1_0000_0001, pool.OffsetOf(address));
    }
}
