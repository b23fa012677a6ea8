using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Netlink.Tests;

/// <summary>The rtnetlink a gateway needs to route to its peers: tagged routes, a VXLAN device, neighbours, FDB, batches.</summary>
[Trait("requirement", "root")]
public sealed class PeerDatapathNetlinkTests : IDisposable
{
    private const byte Ours = 121;
    private readonly TestNetns _ns = new("ynl-dp");

    public PeerDatapathNetlinkTests() => _ns.Exec("ip", "link", "set", "lo", "up");

    [RootFact]
    public void Vxlan_device_is_created_with_its_vni_port_mac_and_learning_off_and_reads_back()
    {
        using var ns = NetworkNamespace.Open(_ns.Path);
        using var socket = ns.OpenRouteSocket();

        Assert.True(socket.TryCreateVxlan("yurtnet-vx", new VxlanInfo(7001, 4789, Learning: false, IPAddress.Parse("192.0.2.10")), [0x0e, 0x79, 192, 0, 2, 10], 1450));
        Assert.False(socket.TryCreateVxlan("yurtnet-vx", new VxlanInfo(7001, 4789, false, null), [0x0e, 0x79, 192, 0, 2, 10], 1450));

        var link = socket.GetLink("yurtnet-vx");
        Assert.Equal("vxlan", link.Kind);
        Assert.Equal("0e:79:c0:00:02:0a", link.Mac);
        Assert.Equal(1450, link.Mtu);
        Assert.Equal(new VxlanInfo(7001, 4789, false, IPAddress.Parse("192.0.2.10")), link.Vxlan);
        Assert.Contains("nolearning", TestNetns.Run("ip", "-n", _ns.Name, "-d", "link", "show", "yurtnet-vx").Output, StringComparison.Ordinal);
    }

    [RootFact]
    public void Onlink_routes_neighbours_and_fdb_entries_are_applied_listed_replaced_and_removed_idempotently()
    {
        using var ns = NetworkNamespace.Open(_ns.Path);
        using var socket = ns.OpenRouteSocket();
        socket.TryCreateVxlan("yurtnet-vx", new VxlanInfo(7001, 4789, false, null), [0x0e, 0x79, 10, 0, 0, 1], 1450);
        var vx = socket.GetLink("yurtnet-vx");
        socket.SetLinkUp(vx);
        var route = new RouteInfo(IPNetwork.Parse("10.244.2.0/24"), IPAddress.Parse("10.244.2.0"), vx.Index) { OnLink = true, Protocol = Ours };
        var route6 = new RouteInfo(IPNetwork.Parse("fd00:244:2::/64"), IPAddress.Parse("fd00:244:2::"), vx.Index) { OnLink = true, Protocol = Ours };
        var neighbour = new NeighbourInfo(vx.Index, IPAddress.Parse("10.244.2.0"), "0e:79:c0:00:02:0b");
        var neighbour6 = new NeighbourInfo(vx.Index, IPAddress.Parse("fd00:244:2::"), "0e:79:c0:00:02:0b");
        var fdb = new ForwardingInfo(vx.Index, "0e:79:c0:00:02:0b", IPAddress.Parse("192.0.2.11"));
        KernelChange[] add = [KernelChange.Add(fdb), KernelChange.Add(neighbour), KernelChange.Add(neighbour6), KernelChange.Add(route), KernelChange.Add(route6)];

        Assert.Equal("", string.Join("; ", socket.Apply(add).Select(f => f.Error.Message)));
        Assert.Equal("", string.Join("; ", socket.Apply(add).Select(f => f.Error.Message)));

        Assert.Contains(socket.ListRoutes(AddressFamily.InterNetwork), r => r.SameAs(route));
        Assert.Contains(socket.ListRoutes(AddressFamily.InterNetworkV6), r => r.SameAs(route6));
        Assert.Equal([neighbour, neighbour6], socket.ListNeighbours(vx.Index).OrderBy(n => n.Address.AddressFamily));
        Assert.Equal([fdb], socket.ListForwardingEntries(vx.Index));
        Assert.Contains("proto 121 onlink", TestNetns.Run("ip", "-n", _ns.Name, "route", "show", "10.244.2.0/24").Output, StringComparison.Ordinal);

        // The peer's underlay address moved: one replace each, no duplicate.
        var moved = fdb with { Destination = IPAddress.Parse("192.0.2.12") };
        Assert.Empty(socket.Apply([KernelChange.Delete(fdb), KernelChange.Add(moved)]));
        Assert.Equal([moved], socket.ListForwardingEntries(vx.Index));

        KernelChange[] remove = [KernelChange.Delete(route), KernelChange.Delete(route6), KernelChange.Delete(neighbour), KernelChange.Delete(neighbour6), KernelChange.Delete(moved)];
        Assert.Empty(socket.Apply(remove));
        Assert.Empty(socket.Apply(remove));
        Assert.DoesNotContain(socket.ListRoutes(AddressFamily.InterNetwork), r => r.Protocol == Ours);
        Assert.Empty(socket.ListNeighbours(vx.Index));
        Assert.Empty(socket.ListForwardingEntries(vx.Index));
    }

    [RootFact]
    public void Removal_by_protocol_leaves_a_route_someone_else_installed_for_the_same_destination()
    {
        using var ns = NetworkNamespace.Open(_ns.Path);
        using var socket = ns.OpenRouteSocket();
        var lan = UpDummy(socket, "lan0", "192.0.2.10/24");
        Assert.Equal(0, _ns.Exec("ip", "route", "add", "10.244.9.0/24", "via", "192.0.2.99").Code);

        var failures = socket.Apply([KernelChange.Delete(new RouteInfo(IPNetwork.Parse("10.244.9.0/24"), IPAddress.Parse("192.0.2.99"), lan.Index) { Protocol = Ours })]);

        Assert.Empty(failures);
        Assert.Contains(socket.ListRoutes(AddressFamily.InterNetwork), r => r.Destination.ToString() == "10.244.9.0/24" && r.Protocol == Rtnetlink.ProtocolBoot);
    }

    [RootFact]
    public void Five_hundred_routes_go_in_one_batch_and_a_refused_one_is_reported_alone()
    {
        using var ns = NetworkNamespace.Open(_ns.Path);
        using var socket = ns.OpenRouteSocket();
        var lan = UpDummy(socket, "lan0", "192.0.2.10/24");
        var routes = Enumerable.Range(0, 500)
            .Select(i => KernelChange.Add(new RouteInfo(new IPNetwork(new IPAddress([10, (byte)(100 + (i / 256)), (byte)(i % 256), 0]), 24), IPAddress.Parse("192.0.2.20"), lan.Index) { Protocol = Ours }))
            .ToList();
        routes.Insert(250, KernelChange.Add(new RouteInfo(IPNetwork.Parse("10.99.0.0/24"), IPAddress.Parse("198.51.100.1"), lan.Index) { Protocol = Ours }));

        var failures = socket.Apply(routes);

        var refused = Assert.Single(failures);
        Assert.Equal(routes[250], refused.Change);
        Assert.Contains("ENETUNREACH", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal(500, socket.ListRoutes(AddressFamily.InterNetwork).Count(r => r.Protocol == Ours));
    }

    [RootFact]
    public void Route_lookup_tells_a_directly_connected_peer_from_one_behind_a_router()
    {
        using var ns = NetworkNamespace.Open(_ns.Path);
        using var socket = ns.OpenRouteSocket();
        var lan = UpDummy(socket, "lan0", "192.0.2.10/24");
        Assert.Equal(0, _ns.Exec("ip", "route", "add", "default", "via", "192.0.2.1").Code);

        var direct = socket.GetRoute(IPAddress.Parse("192.0.2.11"));
        var routed = socket.GetRoute(IPAddress.Parse("198.51.100.7"));

        Assert.Null(direct.Gateway);
        Assert.Equal(lan.Index, direct.OutputInterface);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), direct.PreferredSource);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), routed.Gateway);
    }

    private LinkInfo UpDummy(NetlinkSocket socket, string name, string address)
    {
        // A veth pair stands in for the LAN port (this kernel may have no dummy driver); both ends up for carrier.
        Assert.Equal(0, _ns.Exec("ip", "link", "add", name, "type", "veth", "peer", "name", name + "p").Code);
        socket.SetLinkUp(socket.GetLink(name + "p"));
        var link = socket.GetLink(name);
        socket.SetLinkUp(link);
        var network = IPNetwork.Parse(address.Split('/')[0] + "/32");
        socket.AddAddress(link, network.BaseAddress, int.Parse(address.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture));
        return link;
    }

    public void Dispose() => _ns.Dispose();
}
