using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.Tests.Configuration;

namespace Yurtnet.Daemon.Tests.Peers;

public sealed class PeerNetworkOptionsTests
{
    [Fact]
    public void Off_standalone_on_with_a_cluster_or_static_peers_and_off_when_told()
    {
        Assert.False(SettingsFile.Read(out _).NodePool.Enabled);
        Assert.True(SettingsFile.Read(out _, ("cluster:nodeName", "gw-a")).NodePool.Enabled);
        Assert.False(SettingsFile.Read(out _, ("cluster:nodeName", "gw-a"), ("nodePool:enabled", "false")).NodePool.Enabled);
        Assert.True(SettingsFile.Read(out var problems, ("nodePool:peers:0:name", "gw-b"), ("nodePool:peers:0:podCidrs:0", "10.22.2.0/24"), ("nodePool:peers:0:addresses:0", "192.168.1.3")).NodePool.Enabled);
        Assert.Empty(problems);
    }

    [Fact]
    public void Static_peer_and_section_are_read_with_defaults_distinct_from_flannel_and_raven()
    {
        var options = SettingsFile.Read(out var problems,
            ("nodePool:mode", "vxlan"),
            ("nodePool:nonMasqueradeCidrs", "10.96.0.0/12,10.244.0.0/16"),
            ("nodePool:peers:0:name", "gw-b"),
            ("nodePool:peers:0:podCidrs:0", "10.22.2.0/24"),
            ("nodePool:peers:0:podCidrs:1", "fd22:2::/64"),
            ("nodePool:peers:0:addresses:0", "192.168.1.3")).NodePool;

        Assert.Empty(problems);
        Assert.Equal(PeerMode.Vxlan, options.Mode);
        Assert.Equal(["10.96.0.0/12", "10.244.0.0/16"], options.NonMasqueradeCidrs.Select(c => c.ToString()));
        var peer = Assert.Single(options.Peers);
        Assert.Equal(("gw-b", true), (peer.Name, peer.Static));
        Assert.Equal(["10.22.2.0/24", "fd22:2::/64"], peer.PodCidrs.Select(c => c.ToString()));
        Assert.NotEqual(1u, options.VxlanVni);
        Assert.NotEqual(200u, options.VxlanVni);
        Assert.NotEqual(8472, options.VxlanPort);
        Assert.NotEqual(4472, options.VxlanPort);
    }

    [Fact]
    public void Every_bad_key_is_named_with_what_to_write_instead()
    {
        SettingsFile.Read(out var problems,
            ("nodePool:mode", "bgp"),
            ("nodePool:scope", "everything"),
            ("nodePool:vxlanVni", "0"),
            ("nodePool:peers:0:name", "gw-b"),
            ("nodePool:peers:0:podCidrs:0", "10.22.2.1/24"),
            ("nodePool:peers:0:addresses:0", "192.168.1.3/24"),
            ("nodePool:peers:1:name", "gw-b"),
            ("nodePool:peers:1:podCidrs:0", "10.22.3.0/24"),
            ("nodePool:peers:1:addresses:0", "192.168.1.4"));

        Assert.Contains(problems, p => p.StartsWith("nodePool.mode: \"bgp\" must be one of auto, hostgw, vxlan", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("nodePool.scope: \"everything\" must be pool, cluster or a label selector", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("nodePool.vxlanVni:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("nodePool.peers[0].podCidrs[0]: \"10.22.2.1/24\" is not a network in CIDR form", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("nodePool.peers[0].addresses[0]: \"192.168.1.3/24\" is not an IP address", StringComparison.Ordinal));
        Assert.Contains(problems, p => p == "nodePool.peers: peer \"gw-b\" is listed 2 times");
    }
}
