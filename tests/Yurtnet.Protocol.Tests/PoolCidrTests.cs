namespace Yurtnet.Protocol.Tests;

public sealed class PoolCidrTests
{
    [Theory]
    [InlineData("10.22.0.0/16", "10.22.0.0/16")]
    [InlineData("fd00:22::/64", "fd00:22::/64")]
    [InlineData("10.9.0.0/30", "10.9.0.0/30")]
    public void Network_addresses_with_room_for_pods_are_pools(string text, string expected)
    {
        Assert.True(PoolCidr.TryParse(text, out var network, out _));
        Assert.Equal(expected, network.ToString());
    }

    [Theory]
    [InlineData("10.22.0.5/16", "has host bits set; use 10.22.0.0/16")]
    [InlineData("10.22.0.0/31", "too small for a gateway and pods; use /30 or larger")]
    [InlineData("fd00::/127", "use /126 or larger")]
    [InlineData("10.22.0.0/33", "is not a CIDR")]
    [InlineData("banana", "is not a CIDR")]
    public void Unusable_subnet_says_what_to_fix(string text, string problem)
    {
        Assert.False(PoolCidr.TryParse(text, out _, out var message));
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }
}
