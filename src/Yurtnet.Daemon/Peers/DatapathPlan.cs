using System.Net;
using System.Net.Sockets;
using Yurtnet.Netlink;

namespace Yurtnet.Daemon.Peers;

/// <summary>
/// What the kernel must hold to reach the admitted peers (pure): per peer a mode, then the routes, neighbours and
/// FDB entries. host-gw: <c>podCIDR via underlay dev uplink proto yurtnet</c>. VXLAN (flannel's scheme, with a
/// derived MAC): <c>podCIDR via vtep dev yurtnet.vxlan onlink</c>, <c>neigh vtep lladdr mac permanent</c>,
/// <c>fdb mac dst underlay self permanent</c>, where a peer's VTEP address is the first address of each pod CIDR.
/// </summary>
internal static class DatapathPlan
{
    /// <summary>The <c>rtm_protocol</c> of every route yurtnet installs (<c>ip route show proto yurtnet</c> with the package's rt_protos.d entry).</summary>
    public const byte RouteProtocol = 121;

    /// <summary>
    /// Chooses each peer's mode. Under <see cref="PeerMode.Auto"/> a peer is reached host-gw when each of its pod
    /// CIDRs' families has an underlay address on a directly connected subnet, else by VXLAN; when the lookup has no
    /// answer (the uplink is not configured yet, after a cold boot), the mode chosen before stands.
    /// </summary>
    public static Dictionary<string, PeerPath> Choose(IReadOnlyList<Peer> peers, PeerMode mode, AddressFamily tunnelFamily, Func<IPAddress, PeerReach?> reach, IReadOnlyDictionary<string, PeerPath> previous)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(reach);
        ArgumentNullException.ThrowIfNull(previous);
        var paths = new Dictionary<string, PeerPath>(StringComparer.Ordinal);
        foreach (var peer in peers)
        {
            paths[peer.Name] = ChooseOne(peer, mode, tunnelFamily, reach, previous.GetValueOrDefault(peer.Name));
        }

        return paths;
    }

    private static PeerPath ChooseOne(Peer peer, PeerMode mode, AddressFamily tunnelFamily, Func<IPAddress, PeerReach?> reach, PeerPath? previous)
    {
        var vxlan = peer.Address(tunnelFamily) is null
            ? new PeerPath(PeerMode.Vxlan, Problem: $"has no {Family(tunnelFamily)} underlay address for the VXLAN tunnel")
            : new PeerPath(PeerMode.Vxlan);
        if (mode == PeerMode.Vxlan)
        {
            return vxlan;
        }

        var interfaces = new List<int>();
        var unknown = false;
        foreach (var family in peer.PodCidrs.Select(c => c.BaseAddress.AddressFamily).Distinct())
        {
            var address = peer.Address(family);
            var found = address is null ? null : reach(address);
            if (address is not null && found is null)
            {
                unknown = true;
            }
            else if (found is { DirectlyConnected: true })
            {
                interfaces.Add(found.Interface);
            }
        }

        var direct = interfaces.Count == peer.PodCidrs.Select(c => c.BaseAddress.AddressFamily).Distinct().Count() && interfaces.Distinct().Count() == 1;
        if (direct)
        {
            return new PeerPath(PeerMode.HostGw, interfaces[0]);
        }

        if (mode == PeerMode.HostGw)
        {
            return new PeerPath(PeerMode.HostGw, Problem: "is not on a directly connected subnet (mode hostgw); use mode auto or vxlan");
        }

        return unknown && previous is { Problem: null } ? previous : vxlan;
    }

    /// <summary>The kernel entries for the peers on their paths; peers whose path has a problem get none.</summary>
    public static List<IKernelEntry> Entries(IReadOnlyList<Peer> peers, IReadOnlyDictionary<string, PeerPath> paths, int vxlanIndex, AddressFamily tunnelFamily)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(paths);
        var entries = new List<IKernelEntry>();
        foreach (var peer in peers)
        {
            if (!paths.TryGetValue(peer.Name, out var path) || path.Problem is not null)
            {
                continue;
            }

            if (path.Mode == PeerMode.HostGw)
            {
                foreach (var cidr in peer.PodCidrs)
                {
                    entries.Add(new RouteInfo(cidr, peer.Address(cidr.BaseAddress.AddressFamily), path.Interface) { Protocol = RouteProtocol });
                }

                continue;
            }

            if (vxlanIndex <= 0)
            {
                continue;
            }

            var mac = VtepMac.For(peer.Address(tunnelFamily)!);
            entries.Add(new ForwardingInfo(vxlanIndex, mac, peer.Address(tunnelFamily)!));
            foreach (var cidr in peer.PodCidrs)
            {
                var vtep = cidr.BaseAddress;
                entries.Add(new NeighbourInfo(vxlanIndex, vtep, mac));
                entries.Add(new RouteInfo(cidr, vtep, vxlanIndex) { OnLink = true, Protocol = RouteProtocol });
            }
        }

        return entries;
    }

    /// <summary>The overhead VXLAN adds to a packet: outer IP, UDP, VXLAN and inner Ethernet headers.</summary>
    public static int Overhead(AddressFamily tunnelFamily) => tunnelFamily == AddressFamily.InterNetworkV6 ? 70 : 50;

    private static string Family(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
}
