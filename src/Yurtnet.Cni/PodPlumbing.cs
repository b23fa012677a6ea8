using System.Net;
using System.Net.Sockets;
using Yurtnet.HostNetwork;
using Yurtnet.Netlink;
using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>
/// Plumbs a pod's network namespace over rtnetlink: the bridge with the gateway addresses, a veth pair created
/// inside the pod namespace with its peer placed directly in the host namespace, addresses and routes.
/// </summary>
internal static class PodPlumbing
{
    /// <summary>What ADD created, for the result; <paramref name="BridgeCreated"/> when the bridge was missing.</summary>
    /// <param name="Bridge">The network's bridge.</param>
    /// <param name="HostVeth">The host end of the pod's veth pair.</param>
    /// <param name="PodLink">The pod's interface.</param>
    /// <param name="BridgeCreated">Whether this ADD had to make the bridge.</param>
    /// <param name="Routes">The routes this attachment has in the pod's namespace (what the result reports).</param>
    /// <param name="RoutesTaken">Routes the conflist asks for that the namespace already has through another interface
    /// (a default route of the pod's first network): neither installed nor reported.</param>
    internal sealed record Plumbed(LinkInfo Bridge, LinkInfo HostVeth, LinkInfo PodLink, bool BridgeCreated, IReadOnlyList<ResultRoute> Routes, IReadOnlyList<ResultRoute> RoutesTaken);

    /// <summary>
    /// The half of an attachment that needs no address, done while yurtnetd allocates: the pod's namespace opened and
    /// the veth pair created (down, off the bridge, without addresses) with <paramref name="mtu"/>, the conflist's or
    /// the default. <see cref="PendingAttachment.Complete"/> plumbs the rest; disposed without it, the pending
    /// attachment removes the pair it created.
    /// </summary>
    /// <param name="conf">The network.</param>
    /// <param name="env">The attachment.</param>
    /// <param name="mtu">Both veth ends' MTU until the addresses are known.</param>
    public static PendingAttachment Begin(NetConf conf, CniEnvironment env, int mtu)
    {
        ArgumentNullException.ThrowIfNull(conf);
        var hostNs = NetworkNamespace.OpenCurrent();
        NetlinkSocket? host = null;
        NetworkNamespace? podNs = null;
        NetlinkSocket? pod = null;
        try
        {
            host = NetlinkSocket.Open();
            podNs = OpenPodNamespace(env.Netns);
            pod = podNs.OpenRouteSocket();
            var hostVethName = HostVethName.For(env.ContainerId, env.IfName);
            var created = CreateVeth(pod, host, hostNs, env.IfName, hostVethName, mtu);
            try
            {
                // What Complete would read first, read now: the links and the bridge with its addresses.
                var links = (host.GetLink(hostVethName), pod.GetLink(env.IfName));
                var bridge = HostBridge.Look(host, conf.Bridge, withAddresses: conf.IsGateway);
                return new PendingAttachment(env, hostNs, host, podNs, pod, hostVethName, created, mtu, links, bridge);
            }
            catch when (created)
            {
                try
                {
                    host.TryDeleteLink(hostVethName);
                }
                catch (NetlinkException)
                {
                    // The failure that got here is the one to report; the runtime's DEL removes the pair by its name.
                }

                throw;
            }
        }
        catch
        {
            pod?.Dispose();
            podNs?.Dispose();
            host?.Dispose();
            hostNs.Dispose();
            throw;
        }
    }

    /// <summary>An attachment whose veth pair exists and waits for its addresses (<see cref="Begin"/>).</summary>
    internal sealed class PendingAttachment : IDisposable
    {
        private readonly CniEnvironment _env;
        private readonly NetworkNamespace _hostNs;
        private readonly NetlinkSocket _host;
        private readonly NetworkNamespace _podNs;
        private readonly NetlinkSocket _pod;
        private readonly string _hostVethName;
        private readonly bool _created;
        private readonly int _createdMtu;
        private readonly List<PodAddress> _added = [];
        private readonly List<RouteInfo> _addedRoutes = [];
        private bool _completed;
        private bool _undone;
        private bool _disposed;

        private readonly (LinkInfo HostVeth, LinkInfo PodLink) _links;
        private readonly HostBridge.Seen _bridge;

        internal PendingAttachment(CniEnvironment env, NetworkNamespace hostNs, NetlinkSocket host, NetworkNamespace podNs, NetlinkSocket pod, string hostVethName, bool created, int createdMtu, (LinkInfo HostVeth, LinkInfo PodLink) links, HostBridge.Seen bridge)
        {
            (_env, _hostNs, _host, _podNs, _pod) = (env, hostNs, host, podNs, pod);
            (_hostVethName, _created, _createdMtu, _links, _bridge) = (hostVethName, created, createdMtu, links, bridge);
        }

        /// <summary>
        /// Plumbs the rest: the bridge with its gateway addresses, the pair's MTU if it must differ from the one it was
        /// made with, the host end on the bridge, the pod's MAC, addresses and routes. On failure the pair stays for
        /// <see cref="Dispose"/> to remove (when this attachment made it).
        /// </summary>
        /// <param name="conf">The network.</param>
        /// <param name="addresses">What yurtnetd allocated.</param>
        /// <param name="mtu">Both veth ends' MTU.</param>
        /// <param name="mac">The MAC the runtime asked for the pod's interface, or null for the kernel's random one.</param>
        public Plumbed Complete(NetConf conf, IReadOnlyList<PodAddress> addresses, int mtu, string? mac)
        {
            ArgumentNullException.ThrowIfNull(conf);
            ObjectDisposedException.ThrowIf(_disposed, this);
            var (hostVeth, podLink) = _links;
            if (_created && mtu != _createdMtu)
            {
                // yurtnetd's hint (the NodePool tunnel's MTU) came with the addresses; both ends before the port joins the bridge.
                _pod.SetMtu(podLink, mtu);
                _host.SetMtu(hostVeth, mtu);
                (podLink, hostVeth) = (podLink with { Mtu = mtu }, hostVeth with { Mtu = mtu });
            }

            HostBridge.Outcome ensured;
            try
            {
                ensured = EnsureBridge(_host, conf, addresses, mtu, _bridge);
                _host.SetLinkUp(hostVeth, ensured.Link.Index);
            }
            catch (NetlinkException ex) when (_bridge.Link is not null && (ex.IsNotFound || ex.Errno == Interop.EINVAL))
            {
                // The bridge went (or was made again) while yurtnetd allocated: what Begin saw is stale; look again.
                ensured = EnsureBridge(_host, conf, addresses, mtu);
                _host.SetLinkUp(hostVeth, ensured.Link.Index);
            }

            var (bridge, bridgeCreated) = (ensured.Link, ensured.Created);
            if (conf.HairpinMode)
            {
                _host.SetHairpin(hostVeth, on: true);
            }

            if (mac is not null && !string.Equals(podLink.Mac, mac, StringComparison.OrdinalIgnoreCase))
            {
                _pod.SetLinkMac(podLink, Convert.FromHexString(mac.Replace(":", "", StringComparison.Ordinal)));
                podLink = _pod.GetLink(_env.IfName);
            }

            // On a pair that was there (a repeated ADD), what it had is not this ADD's to take back (Undo).
            var had = _created ? [] : _pod.ListAddresses(podLink.Index);
            foreach (var a in addresses)
            {
                _pod.AddAddress(podLink, a.Address, a.PrefixLength);
                if (!had.Any(h => h.Address.Equals(a.Address) && h.PrefixLength == a.PrefixLength))
                {
                    _added.Add(a);
                }
            }

            _pod.SetLinkUp(podLink);
            var routes = new List<ResultRoute>();
            var taken = new List<ResultRoute>();
            foreach (var route in Routes(conf, addresses))
            {
                // Already there: ours (a repeated ADD) when it goes through this interface to the same gateway.
                var added = _pod.TryAddRoute(route.Destination, route.Gateway, podLink);
                if (added && !_created)
                {
                    _addedRoutes.Add(new RouteInfo(route.Destination, route.Gateway, podLink.Index));
                }

                var ours = added
                    || _pod.ListRoutes(route.Destination.BaseAddress.AddressFamily).Any(r => r.Destination.Equals(route.Destination) && r.OutputInterface == podLink.Index && Equals(r.Gateway, route.Gateway));
                (ours ? routes : taken).Add(route);
            }

            if (conf.IsGateway)
            {
                _ = EnableForwarding(addresses);
            }

            _completed = true;
            return new Plumbed(bridge, hostVeth, podLink, bridgeCreated, routes, taken);
        }

        /// <summary>
        /// Takes back what this ADD put on the pod, completed or not: the pair when this ADD made it (its addresses go
        /// with it), else the addresses it added to the pod's existing interface, which stays. Returns what was done, for
        /// the log.
        /// </summary>
        /// <exception cref="NetlinkException">The kernel refused; what is left goes with the runtime's DEL, by name.</exception>
        public string Undo()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _undone = true;
            if (_created)
            {
                return _host.TryDeleteLink(_hostVethName) ? $"deleted veth {_hostVethName}" : $"veth {_hostVethName} was gone";
            }

            // Everything is tried, whatever the kernel refuses on the way; then the refusals are reported together.
            var refused = _pod.Apply(_addedRoutes.Select(KernelChange.Delete).ToList()).Select(f => f.Error).ToList();
            if (_added.Count > 0 && _pod.TryGetLink(_env.IfName, out var podLink))
            {
                foreach (var a in _added)
                {
                    try
                    {
                        _pod.TryDeleteAddress(podLink, a.Address, a.PrefixLength);
                    }
                    catch (NetlinkException ex)
                    {
                        refused.Add(ex);
                    }
                }
            }

            if (refused.Count > 0)
            {
                throw new NetlinkException(string.Join("; ", refused.Select(e => e.Message)), refused[0]);
            }

            return _added.Count + _addedRoutes.Count == 0
                ? $"the pod's {_env.IfName} was there before this ADD and is kept as it was"
                : $"took back {_added.Count} address(es) ({string.Join(", ", _added.Select(a => a.Address))}) and {_addedRoutes.Count} route(s) from the pod's {_env.IfName}, which was there before this ADD";
        }

        /// <summary>Closes the namespaces; a pair this attachment made and neither completed nor undid is removed first.</summary>
        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                if (_created && !_completed && !_undone)
                {
                    _host.TryDeleteLink(_hostVethName);
                }
            }
            catch (NetlinkException)
            {
                // The failure that got here is the one to report; the runtime's DEL removes the pair by its name.
            }
            finally
            {
                _pod.Dispose();
                _podNs.Dispose();
                _host.Dispose();
                _hostNs.Dispose();
            }
        }
    }

    /// <summary>
    /// Removes the attachment's veth pair. Deleting the host end removes the pod end with it, so this works
    /// whether or not the pod's namespace still exists. Returns what was done, for the log.
    /// </summary>
    public static string Detach(CniEnvironment env)
    {
        using var host = NetlinkSocket.Open();
        var hostVethName = HostVethName.For(env.ContainerId, env.IfName);
        if (host.TryDeleteLink(hostVethName))
        {
            return $"deleted veth {hostVethName}";
        }

        if (env.Netns.Length == 0 || !File.Exists(env.Netns))
        {
            return "no veth and no netns: nothing to remove";
        }

        using var podNs = NetworkNamespace.Open(env.Netns);
        using var pod = podNs.OpenRouteSocket();
        if (pod.TryGetLink(env.IfName, out var link) && link.Kind == "veth")
        {
            pod.TryDeleteLink(env.IfName);
            return $"deleted {env.IfName} in netns {env.Netns}";
        }

        return $"no {env.IfName} veth in netns {env.Netns}";
    }

    /// <summary>Compares the namespace with <paramref name="expected"/>; returns every mismatch.</summary>
    public static List<string> Inspect(NetConf conf, CniEnvironment env, CniResult expected)
    {
        var problems = new List<string>();
        using var host = NetlinkSocket.Open();
        using var podNs = OpenPodNamespace(env.Netns);
        using var pod = podNs.OpenRouteSocket();
        if (!pod.TryGetLink(env.IfName, out var link))
        {
            problems.Add($"interface {env.IfName} does not exist in netns {env.Netns}");
            return problems;
        }

        var index = expected.Interfaces.FindIndex(i => i.Name == env.IfName && i.Sandbox is not null);
        if (index >= 0 && expected.Interfaces[index].Mac is { } mac && !string.Equals(mac, link.Mac, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"interface {env.IfName} has MAC {link.Mac}, prevResult says {mac}");
        }

        if (!link.IsUp)
        {
            problems.Add($"interface {env.IfName} is down");
        }

        var present = pod.ListAddresses(link.Index);
        foreach (var ip in expected.Ips.Where(ip => ip.Interface is null || ip.Interface == index))
        {
            if (!present.Any(p => p.Address.Equals(ip.Address) && p.PrefixLength == ip.PrefixLength))
            {
                problems.Add($"address {ip.Cidr} is missing on {env.IfName}");
            }
        }

        var routes = pod.ListRoutes(AddressFamily.InterNetwork).Concat(pod.ListRoutes(AddressFamily.InterNetworkV6)).ToList();
        foreach (var r in expected.Routes)
        {
            if (!routes.Any(p => p.Destination.Equals(r.Destination) && (r.Gateway is null || r.Gateway.Equals(p.Gateway))))
            {
                problems.Add($"route {r.Destination} via {r.Gateway?.ToString() ?? "-"} is missing in netns {env.Netns}");
            }
        }

        var hostVethName = HostVethName.For(env.ContainerId, env.IfName);
        if (!host.TryGetLink(hostVethName, out var hostVeth))
        {
            problems.Add($"host veth {hostVethName} does not exist");
        }
        else if (!host.TryGetLink(conf.Bridge, out var bridge) || hostVeth.MasterIndex != bridge.Index)
        {
            problems.Add($"host veth {hostVethName} is not attached to bridge {conf.Bridge}");
        }

        return problems;
    }

    /// <summary>The routes ADD installs and reports: the default route per family, then <c>ipam.routes</c>.</summary>
    public static List<ResultRoute> Routes(NetConf conf, IReadOnlyList<PodAddress> addresses)
    {
        var routes = new List<ResultRoute>();
        foreach (var a in addresses)
        {
            var v6 = a.Address.AddressFamily == AddressFamily.InterNetworkV6;
            if (conf.IsDefaultGateway)
            {
                routes.Add(new ResultRoute(new IPNetwork(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0), a.Gateway));
            }
        }

        foreach (var r in conf.Routes)
        {
            var family = r.Destination.BaseAddress.AddressFamily;
            var gateway = r.Gateway ?? addresses.FirstOrDefault(a => a.Address.AddressFamily == family)?.Gateway;
            if (addresses.Any(a => a.Address.AddressFamily == family) && !routes.Any(x => x.Destination.Equals(r.Destination)))
            {
                routes.Add(new ResultRoute(r.Destination, gateway));
            }
        }

        return routes;
    }

    private static NetworkNamespace OpenPodNamespace(string path)
    {
        try
        {
            return NetworkNamespace.Open(path);
        }
        catch (NetlinkException ex) when (ex.IsNotFound)
        {
            throw new CniException(new CniError(CniError.InvalidEnvironment, $"CNI_NETNS {path}: no such network namespace", "the sandbox's network namespace must exist for ADD and CHECK"));
        }
    }

    private static HostBridge.Outcome EnsureBridge(NetlinkSocket host, NetConf conf, IReadOnlyList<PodAddress> addresses, int mtu, HostBridge.Seen? seen = null)
    {
        var gateways = conf.IsGateway ? addresses.Select(a => (a.Gateway, a.PrefixLength)).Distinct().ToList() : [];
        var ensured = HostBridge.Ensure(host, conf.Bridge, mtu, gateways, seen);
        if (!ensured.IsBridge)
        {
            throw new CniException(new CniError(CniError.InvalidNetworkConfig,
                $"bridge: \"{conf.Bridge}\" exists and is a {ensured.Link.Kind ?? "physical device"}, not a bridge",
                "choose another name for \"bridge\" in the conflist"));
        }

        return ensured;
    }

    /// <summary>
    /// Puts back onto the bridge the host veths of other attachments of the network (after the bridge was deleted and
    /// made again, its old ports hang loose, and their pods are cut off). Returns the ones put back.
    /// </summary>
    public static List<string> ReattachPorts(NetConf conf, IEnumerable<string> hostVeths)
    {
        using var host = NetlinkSocket.Open();
        return HostBridge.Reattach(host, host.GetLink(conf.Bridge), hostVeths);
    }

    /// <summary>
    /// CHECK's repair of what the attachment shares with the host, when another program removed it: the bridge (made
    /// again with its fixed MAC), its gateway addresses, this attachment's port on it, and IP forwarding. Returns what
    /// was repaired, for the log; the pod's own namespace is only inspected, never changed.
    /// </summary>
    public static List<string> RepairHost(NetConf conf, CniEnvironment env, CniResult expected)
    {
        var repaired = new List<string>();
        var addresses = expected.Ips
            .Where(ip => ip.Gateway is not null)
            .Select(ip => new PodAddress(ip.Address, ip.PrefixLength, ip.Gateway!, PodAddress.NetworkOf(ip.Address, ip.PrefixLength)))
            .ToList();
        using var host = NetlinkSocket.Open();
        // A bridge made again takes the lowest MTU of its ports once they are attached: the conflist's, or the default, to start.
        var ensured = EnsureBridge(host, conf, addresses, conf.Mtu ?? NetConf.DefaultMtu);
        var bridge = ensured.Link;
        if (ensured.Created)
        {
            repaired.Add($"bridge {conf.Bridge} was gone: made again");
        }
        else if (ensured.GatewaysAdded.Count > 0)
        {
            repaired.Add($"{ensured.GatewaysAdded.Count} gateway address(es) of bridge {conf.Bridge} were gone: added again");
        }

        var hostVethName = HostVethName.For(env.ContainerId, env.IfName);
        if (host.TryGetLink(hostVethName, out var hostVeth) && hostVeth.MasterIndex != bridge.Index)
        {
            host.SetLinkUp(hostVeth, bridge.Index);
            repaired.Add($"host veth {hostVethName} was off bridge {conf.Bridge}: attached again");
        }

        if (conf.IsGateway)
        {
            repaired.AddRange(EnableForwarding(addresses));
        }

        return repaired;
    }

    /// <returns>True when the pair was created by this call; false when the pod already had it (a repeated ADD).</returns>
    private static bool CreateVeth(NetlinkSocket pod, NetlinkSocket host, NetworkNamespace hostNs, string ifName, string hostVethName, int mtu)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                pod.CreateVethPair(ifName, hostVethName, hostNs, mtu);
                return true;
            }
            catch (NetlinkException ex) when (ex.IsAlreadyExists && attempt == 0)
            {
                if (pod.TryGetLink(ifName, out var existing))
                {
                    if (existing.Kind == "veth" && host.TryGetLink(hostVethName, out _))
                    {
                        return false;
                    }

                    throw new CniException(new CniError(CniError.InvalidEnvironment,
                        $"CNI_IFNAME {ifName} already exists in netns {pod.Where} and is not this attachment's veth",
                        "another plugin owns this interface; use another CNI_IFNAME"));
                }

                // A host veth of that name is left from an attachment whose pod side is gone: replace it.
                host.TryDeleteLink(hostVethName);
            }
        }
    }

    /// <summary>Turns IP forwarding on for the families of <paramref name="addresses"/>; returns what had been off.</summary>
    private static List<string> EnableForwarding(IReadOnlyList<PodAddress> addresses) =>
        Forwarding.Ensure(
            addresses.Any(a => a.Address.AddressFamily == AddressFamily.InterNetwork),
            addresses.Any(a => a.Address.AddressFamily == AddressFamily.InterNetworkV6));
}
