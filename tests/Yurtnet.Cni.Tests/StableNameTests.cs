using System.Net;

namespace Yurtnet.Cni.Tests;

public sealed class StableNameTests
{
    [Fact]
    public void Host_veth_name_is_stable_short_and_distinct_per_attachment()
    {
        var name = StableName.HostVeth("0123456789abcdef", "eth0");

        Assert.Equal(name, StableName.HostVeth("0123456789abcdef", "eth0"));
        Assert.NotEqual(name, StableName.HostVeth("0123456789abcdef", "net1"));
        Assert.StartsWith("yn", name, StringComparison.Ordinal);
        Assert.True(name.Length <= 15);
    }

    [Fact]
    public void Bridge_mac_is_locally_administered_unicast()
    {
        var mac = StableName.BridgeMac("yurt0");

        Assert.Equal(6, mac.Length);
        Assert.Equal(0x02, mac[0] & 0x03);
    }

    [Fact]
    public void Nft_chain_name_uses_only_safe_characters()
    {
        var chain = StableName.NftChain("edge.net-1");

        Assert.Matches("^[a-zA-Z0-9_]+$", chain);
        Assert.NotEqual(chain, StableName.NftChain("edge_net_1"));
    }

    [Fact]
    public void Masquerade_script_exempts_the_subnet_multicast_and_the_daemons_exemption_set_per_family()
    {
        var script = Masquerade.InstallScript("net_x", [IPNetwork.Parse("10.22.0.0/16"), IPNetwork.Parse("fd00:22::/64")]);

        Assert.Contains("add chain inet yurtnet net_x { type nat hook postrouting priority srcnat; policy accept; }", script, StringComparison.Ordinal);
        Assert.Contains("flush chain inet yurtnet net_x", script, StringComparison.Ordinal);
        Assert.Contains("add set inet yurtnet nomasq4 { type ipv4_addr; flags interval; auto-merge; }", script, StringComparison.Ordinal);
        Assert.Contains("ip saddr 10.22.0.0/16 ip daddr != 10.22.0.0/16 ip daddr != 224.0.0.0/4 ip daddr != @nomasq4 masquerade", script, StringComparison.Ordinal);
        Assert.Contains("ip6 saddr fd00:22::/64 ip6 daddr != fd00:22::/64 ip6 daddr != ff00::/8 ip6 daddr != @nomasq6 masquerade", script, StringComparison.Ordinal);
    }
}
