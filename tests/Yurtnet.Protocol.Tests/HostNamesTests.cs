namespace Yurtnet.Protocol.Tests;

public sealed class HostNamesTests
{
    [Fact]
    public void Host_veth_name_is_stable_short_and_distinct_per_attachment()
    {
        var name = HostVethName.For("0123456789abcdef", "eth0");

        Assert.Equal(name, HostVethName.For("0123456789abcdef", "eth0"));
        Assert.NotEqual(name, HostVethName.For("0123456789abcdef", "net1"));
        Assert.StartsWith("yn", name, StringComparison.Ordinal);
        Assert.True(name.Length <= 15);
    }

    [Fact]
    public void Bridge_mac_is_locally_administered_unicast()
    {
        var mac = HostNames.BridgeMac("yurt0");

        Assert.Equal(6, mac.Length);
        Assert.Equal(0x02, mac[0] & 0x03);
    }

    [Fact]
    public void Nft_chain_name_uses_only_safe_characters()
    {
        var chain = HostNames.MasqueradeChain("edge.net-1");

        Assert.Matches("^[a-zA-Z0-9_]+$", chain);
        Assert.NotEqual(chain, HostNames.MasqueradeChain("edge_net_1"));
    }

    [Theory]
    [InlineData("yn0123456789ab", true)]
    [InlineData("yn0123456789AB", false)]
    [InlineData("yn0123456789a", false)]
    [InlineData("ynpm0", false)]
    [InlineData("eth0", false)]
    public void Our_host_veths_are_known_by_the_form_of_their_name(string name, bool ours)
    {
        Assert.Equal(ours, HostVethName.IsOurs(name));
        Assert.True(HostVethName.IsOurs(HostVethName.For("c1", "eth0")));
    }
}
