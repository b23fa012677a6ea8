using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Yurtnet.Netlink;

namespace Yurtnet.Daemon.Peers;

/// <summary>
/// The one owner of the host routing side of the NodePool network: makes the kernel hold exactly the entries
/// <see cref="DatapathPlan"/> derives for the admitted peers. What is ours is recognised by the route protocol
/// (<see cref="DatapathPlan.RouteProtocol"/>) and the device name (<see cref="PeerNetworkOptions.VxlanDevice"/>);
/// nothing else is touched. One netlink conversation per sync: lookups, then one batch of changes.
/// </summary>
internal sealed partial class PeerDatapath(PeerNetworkOptions options, ILogger<PeerDatapath> logger)
{
    private Dictionary<string, PeerPath> _paths = new(StringComparer.Ordinal);
    private IPAddress? _guessedAddress;
    private int _tunnelMtu;

    /// <summary>The tunnel's MTU after the last sync while any peer is reached through it; null without a tunnel.</summary>
    public int? TunnelMtu => Volatile.Read(ref _tunnelMtu) is > 0 and var mtu ? mtu : null;

    /// <summary>
    /// Brings the kernel in line with <paramref name="peers"/>; returns each peer's path (with its problem, if any) and
    /// the changes made. <paramref name="ownAddresses"/> are this gateway's underlay addresses as its peers know them:
    /// the tunnel starts there, and its MAC is derived from the one of the tunnel's family.
    /// </summary>
    public (IReadOnlyDictionary<string, PeerPath> Paths, int Changes) Sync(IReadOnlyList<Peer> peers, IReadOnlyList<IPAddress> ownAddresses)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(ownAddresses);
        using var socket = NetlinkSocket.Open();
        var vxlan = socket.TryGetLink(PeerNetworkOptions.VxlanDevice, out var existing) ? existing : null;
        var tunnelFamily = TunnelFamily(peers, ownAddresses);
        var paths = DatapathPlan.Choose(peers, options.Mode, tunnelFamily, address => Reach(socket, address, vxlan?.Index ?? -1), _paths);

        var tunnelled = peers.Where(p => paths[p.Name] is { Mode: PeerMode.Vxlan, Problem: null }).ToList();
        var local = ownAddresses.FirstOrDefault(a => a.AddressFamily == tunnelFamily);
        if (tunnelled.Count > 0 && local is null && tunnelled.Select(p => SourceTowards(socket, p.Address(tunnelFamily)!)).FirstOrDefault(a => a is not null) is { } source)
        {
            // Right when the peers list this gateway by the address it sends from (the usual case); they derive its
            // tunnel MAC from the address they know, so say which one was taken.
            if (!source.Equals(_guessedAddress))
            {
                LogAddressGuessed(logger, source.ToString());
                _guessedAddress = source;
            }

            local = source;
        }

        if (tunnelled.Count > 0 && local is null)
        {
            foreach (var peer in tunnelled)
            {
                paths[peer.Name] = paths[peer.Name] with { Problem = $"this gateway's own {(tunnelFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} underlay address is unknown (set nodePool.address, or give its Node an {options.AddressType})" };
            }

            tunnelled.Clear();
        }

        vxlan = tunnelled.Count > 0 ? EnsureVxlan(socket, vxlan, local!, UplinkMtu(socket, tunnelled[0].Address(tunnelFamily)!)) : RemoveVxlan(socket, vxlan);
        Volatile.Write(ref _tunnelMtu, vxlan?.Mtu ?? 0);
        var desired = DatapathPlan.Entries(peers, paths, vxlan?.Index ?? 0, tunnelFamily);

        // An add replaces a route of the same prefix whoever installed it: never one that is not ours.
        var routes = socket.ListRoutes(AddressFamily.InterNetwork).Concat(socket.ListRoutes(AddressFamily.InterNetworkV6)).ToList();
        var foreign = routes.Where(r => r.Protocol != DatapathPlan.RouteProtocol).Select(r => r.Destination).ToHashSet();
        foreach (var route in desired.OfType<RouteInfo>().Where(d => foreign.Contains(d.Destination)).ToList())
        {
            desired.Remove(route);
            if (Owner(peers, route) is { } owner)
            {
                paths[owner.Name] = paths[owner.Name] with { Problem = $"{route.Destination} is already routed by someone else (not yurtnet): left alone" };
            }
        }

        // Hash sets, not pairwise scans: a site of 500 peers has some 1,500 entries.
        var current = Current(socket, vxlan, routes);
        var held = current.ToHashSet(SameEntry.Instance);
        var wanted = desired.ToHashSet(SameEntry.Instance);
        var adds = desired.Where(d => !held.Contains(d)).ToList();

        // A removal the kernel would match on the key an add just replaced (a neighbour's address, a route's prefix)
        // would delete the new entry: the add has already replaced it.
        var replaced = adds.ToHashSet(SameKernelKey.Instance);
        var changes = adds.Select(KernelChange.Add)
            .Concat(current.Where(c => !wanted.Contains(c) && !replaced.Contains(c)).Select(KernelChange.Delete))
            .ToList();
        if (changes.Count > 0)
        {
            foreach (var (change, error) in socket.Apply(changes))
            {
                LogRefused(logger, change.ToString(), error.Message);
                if (!change.Remove && Owner(peers, change.Entry) is { } owner)
                {
                    paths[owner.Name] = paths[owner.Name] with { Problem = $"the kernel refused {change.Entry.Describe()}: {error.Message}" };
                }
            }
        }

        _paths = paths;
        return (paths, changes.Count);
    }

    /// <summary>Removes every route, neighbour, FDB entry and device of ours (the feature turned off, or purge).</summary>
    public int RemoveAll()
    {
        using var socket = NetlinkSocket.Open();
        var vxlan = socket.TryGetLink(PeerNetworkOptions.VxlanDevice, out var existing) ? existing : null;
        var current = Current(socket, vxlan, socket.ListRoutes(AddressFamily.InterNetwork).Concat(socket.ListRoutes(AddressFamily.InterNetworkV6)));
        var routes = current.OfType<RouteInfo>().Select(KernelChange.Delete).ToList();
        foreach (var (change, error) in socket.Apply(routes))
        {
            LogRefused(logger, change.ToString(), error.Message);
        }

        RemoveVxlan(socket, vxlan);
        Volatile.Write(ref _tunnelMtu, 0);
        _paths.Clear();
        return routes.Count + (vxlan is null ? 0 : 1);
    }

    /// <summary>What of ours the kernel holds: our routes among <paramref name="routes"/>, the device's neighbours and FDB.</summary>
    private static List<IKernelEntry> Current(NetlinkSocket socket, LinkInfo? vxlan, IEnumerable<RouteInfo> routes)
    {
        var current = new List<IKernelEntry>();
        current.AddRange(routes.Where(r => r.Protocol == DatapathPlan.RouteProtocol));
        if (vxlan is not null)
        {
            current.AddRange(socket.ListNeighbours(vxlan.Index));
            current.AddRange(socket.ListForwardingEntries(vxlan.Index));
        }

        return current;
    }

    /// <summary>The same entry in every attribute the datapath sets (a route's other attributes are the kernel's).</summary>
    private sealed class SameEntry : IEqualityComparer<IKernelEntry>
    {
        public static readonly SameEntry Instance = new();

        public bool Equals(IKernelEntry? x, IKernelEntry? y) => (x, y) switch
        {
            (RouteInfo a, RouteInfo b) => a.SameAs(b),
            (RouteInfo, _) or (_, RouteInfo) => false,
            _ => object.Equals(x, y),
        };

        public int GetHashCode(IKernelEntry obj) => obj is RouteInfo r ? HashCode.Combine(r.Destination, r.Gateway, r.OutputInterface) : obj.GetHashCode();
    }

    /// <summary>The same key to the kernel: an add of one replaces the other (a route's prefix, a neighbour's address, an FDB entry's MAC).</summary>
    private sealed class SameKernelKey : IEqualityComparer<IKernelEntry>
    {
        public static readonly SameKernelKey Instance = new();

        public bool Equals(IKernelEntry? x, IKernelEntry? y) => (x, y) switch
        {
            (RouteInfo a, RouteInfo b) => a.Destination.Equals(b.Destination),
            (NeighbourInfo a, NeighbourInfo b) => a.Interface == b.Interface && a.Address.Equals(b.Address),
            (ForwardingInfo a, ForwardingInfo b) => a.Interface == b.Interface && a.Mac == b.Mac,
            _ => false,
        };

        public int GetHashCode(IKernelEntry obj) => obj switch
        {
            RouteInfo r => r.Destination.GetHashCode(),
            NeighbourInfo n => HashCode.Combine(n.Interface, n.Address),
            ForwardingInfo f => HashCode.Combine(f.Interface, f.Mac),
            _ => 0,
        };
    }

    private static Peer? Owner(IReadOnlyList<Peer> peers, IKernelEntry entry) => entry switch
    {
        RouteInfo route => peers.FirstOrDefault(p => p.PodCidrs.Contains(route.Destination)),
        NeighbourInfo neighbour => peers.FirstOrDefault(p => p.PodCidrs.Any(c => c.BaseAddress.Equals(neighbour.Address))),
        ForwardingInfo forwarding => peers.FirstOrDefault(p => p.Addresses.Contains(forwarding.Destination)),
        _ => null,
    };

    private static PeerReach? Reach(NetlinkSocket socket, IPAddress address, int vxlanIndex)
    {
        try
        {
            var route = socket.GetRoute(address);
            return new PeerReach(route.Gateway is null && route.OutputInterface != vxlanIndex, route.OutputInterface);
        }
        catch (NetlinkException)
        {
            return null;
        }
    }

    /// <summary>The tunnel's family: IPv4 when this gateway and a peer have IPv4 underlay addresses, else IPv6 when this gateway has one.</summary>
    private static AddressFamily TunnelFamily(IReadOnlyList<Peer> peers, IReadOnlyList<IPAddress> own) =>
        own.Any(a => a.AddressFamily == AddressFamily.InterNetwork) && (peers.Count == 0 || peers.Any(p => p.Address(AddressFamily.InterNetwork) is not null))
            ? AddressFamily.InterNetwork
            : own.Any(a => a.AddressFamily == AddressFamily.InterNetworkV6) ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    /// <summary>The MTU of the link the tunnel's packets leave by (towards <paramref name="peer"/>), or null when unknown.</summary>
    private static int? UplinkMtu(NetlinkSocket socket, IPAddress peer)
    {
        try
        {
            var route = socket.GetRoute(peer);
            return socket.TryGetLink(route.OutputInterface, out var uplink) ? uplink.Mtu : null;
        }
        catch (NetlinkException)
        {
            return null;
        }
    }

    private static IPAddress? SourceTowards(NetlinkSocket socket, IPAddress address)
    {
        try
        {
            return socket.GetRoute(address).PreferredSource;
        }
        catch (NetlinkException)
        {
            return null;
        }
    }

    private LinkInfo EnsureVxlan(NetlinkSocket socket, LinkInfo? existing, IPAddress local, int? uplinkMtu)
    {
        var wanted = new VxlanInfo(options.VxlanVni, options.VxlanPort, Learning: false, local);
        var mac = VtepMac.For(local);
        // Unknown uplink (no route for a moment): the device keeps the MTU it has.
        var mtu = uplinkMtu is { } known ? known - DatapathPlan.Overhead(local.AddressFamily) : existing?.Mtu ?? 1500 - DatapathPlan.Overhead(local.AddressFamily);
        if (existing is not null && (existing.Kind != "vxlan" || existing.Vxlan != wanted || existing.Mac != mac))
        {
            // Settings cannot be changed on a live VXLAN device: it is made again (its entries go with it).
            LogVxlanRecreated(logger, PeerNetworkOptions.VxlanDevice, existing.Vxlan?.ToString() ?? existing.Kind ?? "?", wanted.ToString());
            socket.TryDeleteLink(PeerNetworkOptions.VxlanDevice);
            existing = null;
        }

        if (existing is null)
        {
            socket.TryCreateVxlan(PeerNetworkOptions.VxlanDevice, wanted, Rtnetlink.ParseMac(mac), mtu);
            LogVxlanCreated(logger, PeerNetworkOptions.VxlanDevice, options.VxlanVni, options.VxlanPort, local.ToString(), mac);
        }

        var link = socket.GetLink(PeerNetworkOptions.VxlanDevice);
        if (link.Mtu != mtu)
        {
            // The uplink's MTU changed (or the device was made without it): follow it.
            socket.SetMtu(link, mtu);
            link = socket.GetLink(PeerNetworkOptions.VxlanDevice);
        }

        if (!link.IsUp)
        {
            socket.SetLinkUp(link);
            link = socket.GetLink(PeerNetworkOptions.VxlanDevice);
        }

        return link;
    }

    private LinkInfo? RemoveVxlan(NetlinkSocket socket, LinkInfo? existing)
    {
        if (existing is not null && socket.TryDeleteLink(PeerNetworkOptions.VxlanDevice))
        {
            LogVxlanRemoved(logger, PeerNetworkOptions.VxlanDevice);
        }

        return null;
    }
}
