using System.Net;
using System.Net.Sockets;
using Yurtnet.Daemon.Peers;
using Yurtnet.Netlink;

namespace Yurtnet.Daemon.Tests.Peers;

public sealed class DatapathPlanTests
{
    private static readonly Peer OnLan = PeerAdmissionTests.P("gw-b", "10.22.2.0/24,fd22:2::/64", "192.168.1.3,fd00:1::3");
    private static readonly Peer BehindRouter = PeerAdmissionTests.P("gw-c", "10.22.3.0/24,fd22:3::/64", "192.168.9.4");
    private static readonly Dictionary<string, PeerPath> None = [];

    private static PeerReach? Lan(IPAddress address) =>
        address.ToString() is "192.168.1.3" or "fd00:1::3" ? new PeerReach(true, 2) : address.ToString() == "192.168.9.4" ? new PeerReach(false, 2) : null;

    [Fact]
    public void Auto_routes_a_peer_on_the_lan_host_gw_per_family_and_one_behind_a_router_through_the_tunnel()
    {
        var paths = DatapathPlan.Choose([OnLan, BehindRouter], PeerMode.Auto, AddressFamily.InterNetwork, Lan, None);
        var entries = DatapathPlan.Entries([OnLan, BehindRouter], paths, vxlanIndex: 9, AddressFamily.InterNetwork);

        Assert.Equal(new PeerPath(PeerMode.HostGw, 2), paths["gw-b"]);
        Assert.Equal(new PeerPath(PeerMode.Vxlan), paths["gw-c"]);
        Assert.Equal(
            [
                "route 10.22.2.0/24 via 192.168.1.3 dev index 2 proto 121",
                "route fd22:2::/64 via fd00:1::3 dev index 2 proto 121",
                "fdb 0e:79:c0:a8:09:04 dst 192.168.9.4 dev index 9 self permanent",
                "neighbour 10.22.3.0 lladdr 0e:79:c0:a8:09:04 dev index 9 permanent",
                "route 10.22.3.0/24 via 10.22.3.0 dev index 9 onlink proto 121",
                "neighbour fd22:3:: lladdr 0e:79:c0:a8:09:04 dev index 9 permanent",
                "route fd22:3::/64 via fd22:3:: dev index 9 onlink proto 121",
            ],
            entries.Select(e => e.Describe()));
    }

    [Fact]
    public void Peer_without_an_underlay_address_of_a_pod_family_is_tunnelled_not_half_host_gw()
    {
        var v4Only = PeerAdmissionTests.P("gw-d", "10.22.4.0/24,fd22:4::/64", "192.168.1.5");

        var paths = DatapathPlan.Choose([v4Only], PeerMode.Auto, AddressFamily.InterNetwork, _ => new PeerReach(true, 2), None);

        Assert.Equal(PeerMode.Vxlan, paths["gw-d"].Mode);
    }

    [Fact]
    public void Unanswered_lookup_after_a_cold_boot_keeps_the_mode_chosen_before()
    {
        var before = new Dictionary<string, PeerPath> { ["gw-b"] = new PeerPath(PeerMode.HostGw, 2) };

        var paths = DatapathPlan.Choose([OnLan], PeerMode.Auto, AddressFamily.InterNetwork, _ => null, before);

        Assert.Equal(new PeerPath(PeerMode.HostGw, 2), paths["gw-b"]);
    }

    [Fact]
    public void Forced_host_gw_to_a_peer_behind_a_router_is_a_problem_with_no_entries_not_a_broken_route()
    {
        var paths = DatapathPlan.Choose([BehindRouter], PeerMode.HostGw, AddressFamily.InterNetwork, Lan, None);

        Assert.Contains("not on a directly connected subnet", paths["gw-c"].Problem, StringComparison.Ordinal);
        Assert.Empty(DatapathPlan.Entries([BehindRouter], paths, 9, AddressFamily.InterNetwork));
    }

    [Fact]
    public void Forced_vxlan_tunnels_even_a_peer_on_the_lan()
    {
        var paths = DatapathPlan.Choose([OnLan], PeerMode.Vxlan, AddressFamily.InterNetwork, Lan, None);

        Assert.Equal(new PeerPath(PeerMode.Vxlan), paths["gw-b"]);
        Assert.Contains(DatapathPlan.Entries([OnLan], paths, 9, AddressFamily.InterNetwork), e => e is ForwardingInfo { Destination: var d } && d.ToString() == "192.168.1.3");
    }

    [Fact]
    public void Tunnel_mac_is_derived_from_the_underlay_address_alone()
    {
        Assert.Equal("0e:79:c0:a8:01:03", VtepMac.For(IPAddress.Parse("192.168.1.3")));
        Assert.Equal(VtepMac.For(IPAddress.Parse("fd00:1::3")), VtepMac.For(IPAddress.Parse("fd00:1::3")));
        Assert.StartsWith("0e:7a:", VtepMac.For(IPAddress.Parse("fd00:1::3")), StringComparison.Ordinal);
        Assert.NotEqual(VtepMac.For(IPAddress.Parse("fd00:1::3")), VtepMac.For(IPAddress.Parse("fd00:1::4")));
    }
}
