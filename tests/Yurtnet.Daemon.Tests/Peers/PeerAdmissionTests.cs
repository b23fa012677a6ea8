using System.Net;
using Yurtnet.Daemon.Peers;

namespace Yurtnet.Daemon.Tests.Peers;

public sealed class PeerAdmissionTests
{
    private static readonly IReadOnlyList<IPNetwork> Own = [IPNetwork.Parse("10.22.1.0/24")];

    internal static Peer P(string name, string cidr, string address) => new()
    {
        Name = name,
        PodCidrs = cidr.Split(',').Select(IPNetwork.Parse).ToList(),
        Addresses = address.Length == 0 ? [] : address.Split(',').Select(IPAddress.Parse).ToList(),
    };

    [Fact]
    public void Peer_claiming_this_gateways_cidr_is_refused_with_the_overlap_named()
    {
        var result = PeerAdmission.Admit([P("gw-b", "10.22.0.0/16", "192.168.1.2")], "gw-a", Own, new HashSet<string>());

        var (peer, reason) = Assert.Single(result.Refused);
        Assert.Equal("gw-b", peer.Name);
        Assert.Equal("claims 10.22.0.0/16, which overlaps this gateway's pod CIDR 10.22.1.0/24", reason);
        Assert.Empty(result.Accepted);
    }

    [Fact]
    public void Of_two_peers_with_overlapping_cidrs_the_one_already_routed_keeps_them_whatever_the_names()
    {
        var newcomer = P("gw-a2", "10.22.2.0/24", "192.168.1.9");
        var incumbent = P("gw-z", "10.22.2.0/25", "192.168.1.3");

        var result = PeerAdmission.Admit([newcomer, incumbent], "gw-a", Own, new HashSet<string> { "gw-z" });

        Assert.Equal("gw-z", Assert.Single(result.Accepted).Name);
        Assert.Equal(("gw-a2", "claims 10.22.2.0/24, which overlaps 10.22.2.0/25 of peer gw-z"), (result.Refused[0].Peer.Name, result.Refused[0].Reason));
    }

    [Fact]
    public void Without_an_incumbent_the_first_by_name_wins_so_every_gateway_decides_alike()
    {
        var result = PeerAdmission.Admit([P("gw-c", "10.22.2.0/24", "192.168.1.4"), P("gw-b", "10.22.2.0/24", "192.168.1.3")], "gw-a", Own, new HashSet<string>());

        Assert.Equal("gw-b", Assert.Single(result.Accepted).Name);
    }

    [Fact]
    public void Own_node_is_not_a_peer_and_peers_without_cidr_or_address_wait()
    {
        var result = PeerAdmission.Admit([P("gw-a", "10.22.9.0/24", "192.168.1.1"), P("gw-b", "10.22.2.0/24", ""), new Peer { Name = "gw-c", PodCidrs = [], Addresses = [IPAddress.Parse("192.168.1.4")] }], "gw-a", Own, new HashSet<string>());

        Assert.Empty(result.Accepted);
        Assert.Equal(["gw-b: has no underlay address", "gw-c: has no pod CIDR yet"], result.Refused.Select(r => $"{r.Peer.Name}: {r.Reason}").Order());
    }

    [Fact]
    public void Two_peers_at_one_underlay_address_would_share_a_tunnel_mac_and_the_second_is_refused()
    {
        var result = PeerAdmission.Admit([P("gw-b", "10.22.2.0/24", "192.168.1.3"), P("gw-c", "10.22.3.0/24", "192.168.1.3")], "gw-a", Own, new HashSet<string>());

        Assert.Equal("gw-b", Assert.Single(result.Accepted).Name);
        Assert.Contains("192.168.1.3", Assert.Single(result.Refused).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Cidrs_of_different_families_never_overlap()
    {
        Assert.False(PeerAdmission.Overlap(IPNetwork.Parse("0.0.0.0/0"), IPNetwork.Parse("::/0")));
        Assert.True(PeerAdmission.Overlap(IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("10.1.2.0/24")));
        Assert.False(PeerAdmission.Overlap(IPNetwork.Parse("10.1.2.0/24"), IPNetwork.Parse("10.1.3.0/24")));
    }
}
