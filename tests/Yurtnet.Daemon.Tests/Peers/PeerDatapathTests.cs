using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.Peers;
using Yurtnet.Netlink;

namespace Yurtnet.Daemon.Tests.Peers;

/// <summary><see cref="PeerDatapath"/> against a real kernel, in a network namespace with an uplink and a router behind it.</summary>
[Trait("requirement", "root")]
public sealed class PeerDatapathTests : IDisposable
{
    private static readonly IPAddress Own = IPAddress.Parse("192.0.2.10");
    private readonly TestNetns _ns = new("ynd-dp");

    public PeerDatapathTests()
    {
        // A veth pair stands in for the LAN port (this kernel may have no dummy driver); both ends up for carrier.
        foreach (var command in new[]
        {
            "ip link set lo up", "ip link add uplink type veth peer name lan", "ip addr add 192.0.2.10/24 dev uplink",
            "ip link set lan up", "ip link set uplink up", "ip route add default via 192.0.2.1",
        })
        {
            var (code, output) = _ns.Exec(command.Split(' '));
            Assert.True(code == 0, $"{command}: {output}");
        }
    }

    [RootFact]
    public void Tunnelled_peer_that_moves_to_another_underlay_address_has_only_its_new_neighbour_and_fdb_entry_after_one_sync()
    {
        var datapath = new PeerDatapath(new PeerNetworkOptions { Enabled = true }, NullLogger<PeerDatapath>.Instance);
        var before = PeerAdmissionTests.P("gw-c", "10.22.3.0/24", "198.51.100.5");
        var after = PeerAdmissionTests.P("gw-c", "10.22.3.0/24", "198.51.100.6");

        var (first, _) = Sync(datapath, before);
        var (second, changes) = Sync(datapath, after);

        // The new neighbour replaces the old one under the same key (10.22.3.0): removing the old one after the add
        // would remove the new one with it.
        Assert.Equal((PeerMode.Vxlan, (string?)null), (first["gw-c"].Mode, first["gw-c"].Problem));
        Assert.Equal((PeerMode.Vxlan, (string?)null), (second["gw-c"].Mode, second["gw-c"].Problem));
        Assert.True(changes > 0);
        Assert.Equal(["10.22.3.0 lladdr " + VtepMac.For(IPAddress.Parse("198.51.100.6")) + " PERMANENT"], Lines("ip", "neigh", "show", "dev", "yurtnet.vxlan"));
        Assert.Equal([VtepMac.For(IPAddress.Parse("198.51.100.6")) + " dst 198.51.100.6 self permanent"], Lines("bridge", "fdb", "show", "dev", "yurtnet.vxlan").Where(l => l.Contains("dst", StringComparison.Ordinal)));
        Assert.Equal(["10.22.3.0/24 via 10.22.3.0 dev yurtnet.vxlan onlink"], Lines("ip", "route", "show", "proto", "121"));
        Assert.Equal(1450, datapath.TunnelMtu);
    }

    [RootFact]
    public void Second_sync_of_an_unchanged_table_changes_nothing_and_a_withdrawn_peer_leaves_no_entry_and_no_tunnel()
    {
        var datapath = new PeerDatapath(new PeerNetworkOptions { Enabled = true }, NullLogger<PeerDatapath>.Instance);
        var onLan = PeerAdmissionTests.P("gw-b", "10.22.2.0/24", "192.0.2.12");
        var tunnelled = PeerAdmissionTests.P("gw-c", "10.22.3.0/24", "198.51.100.5");

        var (paths, _) = Sync(datapath, onLan, tunnelled);
        var installed = Lines("ip", "route", "show", "proto", "121");
        var (_, again) = Sync(datapath, onLan, tunnelled);
        var (_, withdrawn) = Sync(datapath);

        Assert.Equal((PeerMode.HostGw, PeerMode.Vxlan), (paths["gw-b"].Mode, paths["gw-c"].Mode));
        Assert.Equal(["10.22.2.0/24 via 192.0.2.12 dev uplink", "10.22.3.0/24 via 10.22.3.0 dev yurtnet.vxlan onlink"], installed);
        Assert.Equal(0, again);
        Assert.True(withdrawn > 0);
        Assert.Empty(Lines("ip", "route", "show", "proto", "121"));
        Assert.NotEqual(0, _ns.Exec("ip", "link", "show", "yurtnet.vxlan").Code);
        Assert.Null(datapath.TunnelMtu);
    }

    private (IReadOnlyDictionary<string, PeerPath> Paths, int Changes) Sync(PeerDatapath datapath, params Peer[] peers)
    {
        using var ns = NetworkNamespace.Open(_ns.Path);
        return ns.Run(() => datapath.Sync(peers, [Own]));
    }

    private string[] Lines(params string[] command) =>
        _ns.Exec(command).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Dispose() => _ns.Dispose();
}
