using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.State;
using Yurtnet.HostNetwork;
using Yurtnet.Netlink;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Reconcile;

/// <summary>
/// Puts back what a network with live pods shares with the host when another program removed it (the bridge, its
/// gateway addresses, the pods' ports on it, forwarding, the masquerade chain after <c>nft flush ruleset</c>), as the
/// plugin last described it with a commit; and removes a masquerade chain once no pending or active lease of its
/// network is left, whichever way the last lease went (a DEL from the spool, GC, a reclaim, a hold that expired), also
/// the chain of a network no lease names any more. Every change is asked of the kernel, never trusted from a marker
/// file alone, and logged.
/// </summary>
/// <remarks>
/// Live pods are active leases of this boot whose host veth still exists: a lease whose sandbox went without a DEL
/// (its veth is gone with it) is no reason to make a bridge again. Each step stands alone: one that fails is reported
/// and the next still runs. A chain is removed under the plugin's masquerade lock, held from the look at the leases
/// until the chain is gone, as a DEL does, and an ADD installs or checks the chain under the same lock after its
/// allocation: so a chain is never removed under a pod that has just been given an address. No lease lock is held
/// while the file lock is awaited. The other way round is allowed to be late: a repair that looked at the leases just
/// before a network's last DEL may install the chain again after that DEL removed it; the next pass removes it (a chain
/// without pods matches nothing). Every wait is bounded, and the pass reports progress after each step so that the
/// liveness the watchdogs follow sees the loop moving.
/// </remarks>
internal sealed partial class HostRepair(LeaseKeeper keeper, NetworkHosts hosts, ReconcileOptions options, ILogger<HostRepair> logger) : IDisposable
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan NftTimeout = TimeSpan.FromSeconds(5);
    private readonly Masquerade _masquerade = new(options.RunDir);
    private readonly Dictionary<string, string> _problems = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// One pass over every known network (one pass at a time); returns what was put back or removed (also logged).
    /// <paramref name="progress"/> is called after each network.
    /// </summary>
    public async Task<List<string>> RunAsync(Action progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await PassAsync(progress, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<List<string>> PassAsync(Action progress, CancellationToken cancellationToken)
    {
        var shapes = await hosts.AllAsync(cancellationToken);
        // Put back for the leases there are; remove nothing while some may only be unread (a card gone read-only at
        // start, a rebuild from the host still owed): a lease that looks absent is no evidence then.
        var (leases, complete) = await keeper.SnapshotWithCompletenessAsync(cancellationToken);
        if (!complete)
        {
            Report("(removals)", ["the leases are not all read (store unreadable, or the rebuild from the host still owed): no chain is removed and no reservation freed"]);
        }
        else
        {
            Report("(removals)", []);
        }

        // A pod known only by its host veth (a store rebuilt after damage) may be on any network: no chain goes then.
        var keepChains = !complete || leases.Any(l => l.OnlyHostVeth && l.State == LeaseState.Active);
        var done = new List<string>();
        var networks = shapes.Keys.Concat(leases.Select(l => l.Network)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var network in networks)
        {
            var live = leases.Where(l => l.Network == network && l.State == LeaseState.Active && l.BootId == keeper.BootId).ToList();
            var problems = new List<string>();
            if (live.Count > 0 && shapes.TryGetValue(network, out var shape))
            {
                done.AddRange(await Task.Run(() => Repair(network, shape, live, problems), cancellationToken));
            }
            else if (!keepChains && !leases.Any(l => l.Network == network && l.State is LeaseState.Pending or LeaseState.Active) && _masquerade.Installed(network))
            {
                done.AddRange(await Attempt(problems, () => RemoveChainAsync(HostNames.MasqueradeChain(network), $"network \"{network}\" has no pending or active lease left: masquerade chain removed", cancellationToken)));
            }

            Report(network, problems);
            progress();
        }

        // Addresses reserved for host veths the runtime's cache did not know (a store rebuilt after damage): free once
        // the veth is gone, which a DEL of that sandbox, or its end, does.
        var reserved = complete ? leases.Where(l => l.OnlyHostVeth).ToList() : [];
        if (reserved.Count > 0)
        {
            var problems = new List<string>();
            var gone = Attempt(problems, () =>
            {
                using var host = NetlinkSocket.Open();
                return reserved.Where(l => !host.TryGetLink(l.ContainerId[FoundAttachment.HostVethPrefix.Length..], out _)).ToList();
            }) ?? [];
            var freed = new List<Lease>();
            try
            {
                freed = gone.Count == 0 ? [] : await keeper.FreeAsync(gone, cancellationToken);
            }
            catch (StoreUnavailableException ex)
            {
                problems.Add($"the store cannot take the release now: {ex.Message}");
            }

            done.AddRange(freed.Select(l => $"{l.Ip}, reserved for host veth {l.ContainerId[FoundAttachment.HostVethPrefix.Length..]} since the store was rebuilt: the veth is gone, the address is free"));
            Report("(addresses reserved for host veths)", problems);
            progress();
        }

        // Chains of networks no lease or shape names any more (committed by a plugin before shapes were reported).
        var known = networks.Select(HostNames.MasqueradeChain).ToHashSet(StringComparer.Ordinal);
        foreach (var chain in _masquerade.InstalledChains().Where(c => !keepChains && !known.Contains(c)).Order(StringComparer.Ordinal))
        {
            var problems = new List<string>();
            done.AddRange(await Attempt(problems, () => RemoveChainAsync(chain, $"masquerade chain {chain}: no lease names its network any more: removed", cancellationToken)));
            Report(chain, problems);
            progress();
        }

        foreach (var line in done)
        {
            LogRepaired(logger, line);
        }

        return done;
    }

    /// <summary>
    /// Repairs one network whose live pods still have their host veths; each step stands alone. A link of the bridge's
    /// name that is no bridge stops the bridge's steps: it is never touched.
    /// </summary>
    private List<string> Repair(string network, NetworkHost shape, IReadOnlyList<Lease> live, List<string> problems)
    {
        var done = new List<string>();
        using var host = Attempt(problems, () => NetlinkSocket.Open());
        if (host is null)
        {
            return done;
        }

        var present = Attempt(problems, () => live.Where(l => host.TryGetLink(HostVethName.For(l.ContainerId, l.IfName), out _)).ToList()) ?? [];
        if (present.Count == 0)
        {
            // No veth of any live lease: its pods went without a DEL (or never were); GC frees the leases.
            return done;
        }

        var pools = present.Select(l => Pool.TryParse(l.Pool, out var pool, out _) ? pool : null).OfType<Pool>().DistinctBy(p => p.Cidr).ToList();
        var gateways = shape.IsGateway ? pools.Select(p => (p.Gateway, p.Network.PrefixLength)).ToList() : [];
        var bridge = Attempt(problems, () => HostBridge.Ensure(host, shape.Bridge, shape.Mtu, gateways));
        if (bridge is { IsBridge: false })
        {
            problems.Add($"\"{shape.Bridge}\" is a {bridge.Link.Kind ?? "physical device"}, not a bridge: the pods' ports are not put on it; remove that link or move the network to another bridge");
        }
        else if (bridge is not null)
        {
            if (bridge.Created)
            {
                done.Add($"network \"{network}\": bridge {shape.Bridge} was gone: made again");
            }

            if (bridge.GatewaysAdded.Count > 0)
            {
                done.Add($"network \"{network}\": gateway address(es) {string.Join(", ", bridge.GatewaysAdded)} of bridge {shape.Bridge} were gone: added again");
            }

            if (bridge.BroughtUp)
            {
                done.Add($"network \"{network}\": bridge {shape.Bridge} was down: set up");
            }

            var ports = Attempt(problems, () => HostBridge.Reattach(host, bridge.Link, present.Select(l => HostVethName.For(l.ContainerId, l.IfName)).Distinct())) ?? [];
            if (ports.Count > 0)
            {
                done.Add($"network \"{network}\": {ports.Count} pod port(s) were off bridge {shape.Bridge}: attached again ({string.Join(", ", ports)})");
            }
        }

        if (shape.IsGateway)
        {
            var families = pools.Select(p => p.Network.BaseAddress.AddressFamily).ToHashSet();
            done.AddRange((Attempt(problems, () => Forwarding.Ensure(families.Contains(AddressFamily.InterNetwork), families.Contains(AddressFamily.InterNetworkV6))) ?? [])
                .Select(r => $"network \"{network}\": {r}"));
        }

        if (shape.IpMasq && shape.MasqueradeSubnets.Count > 0
            && Attempt(problems, () => _masquerade.Ensure(network, shape.MasqueradeSubnets.Select(s => IPNetwork.Parse(s)).ToList(), LockTimeout, NftTimeout)))
        {
            done.Add($"network \"{network}\": the masquerade chain was gone (nft flush ruleset?): installed again");
        }

        return done;
    }

    /// <summary>Removes a chain under the masquerade lock when, looked at again under it, no pending or active lease of its network is left.</summary>
    private async Task<List<string>> RemoveChainAsync(string chain, string removed, CancellationToken cancellationToken)
    {
        using var held = await Task.Run(() => _masquerade.HoldForRelease(LockTimeout), cancellationToken);
        // An ADD allocated before this look keeps the chain; one after it waits for the lock and installs it again.
        var (leases, complete) = await keeper.SnapshotWithCompletenessAsync(cancellationToken);
        if (!complete || leases.Any(l => l.State is LeaseState.Pending or LeaseState.Active && (l.OnlyHostVeth || HostNames.MasqueradeChain(l.Network) == chain)))
        {
            return [];
        }

        return _masquerade.RemoveChainIfInstalled(chain, NftTimeout) ? [removed] : [];
    }

    /// <summary>Runs one step; a failure of the host (netlink, nft, a read-only sysctl, a lock held too long) is added to <paramref name="problems"/>.</summary>
    private static T? Attempt<T>(List<string> problems, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception ex) when (ex is NetlinkException or IOException or UnauthorizedAccessException or TimeoutException)
        {
            problems.Add(ex is IOException or UnauthorizedAccessException && ex.Message.Contains("/proc/sys", StringComparison.Ordinal)
                ? $"{ex.Message}: is /proc/sys read-only for yurtnetd (ProtectKernelTunables= without the unit's ReadWritePaths=)?"
                : ex.Message);
            return default;
        }
        catch (NftablesException ex)
        {
            problems.Add($"{ex.Message} ({Masquerade.Hint(ex)})");
            return default;
        }
    }

    private static async Task<List<string>> Attempt(List<string> problems, Func<Task<List<string>>> step)
    {
        try
        {
            return await step();
        }
        catch (Exception ex) when (ex is NftablesException or NetlinkException or IOException or UnauthorizedAccessException or TimeoutException)
        {
            problems.Add(ex is NftablesException nft ? $"{nft.Message} ({Masquerade.Hint(nft)})" : ex.Message);
            return [];
        }
    }

    /// <summary>Logs what stands in a network's way when it changes, and once when it is gone.</summary>
    private void Report(string what, List<string> problems)
    {
        if (problems.Count == 0)
        {
            if (_problems.Remove(what))
            {
                LogProblemGone(logger, what);
            }

            return;
        }

        var text = string.Join("; ", problems);
        if (!_problems.TryGetValue(what, out var known) || known != text)
        {
            _problems[what] = text;
            LogProblem(logger, what, text);
        }
    }

    public void Dispose() => _gate.Dispose();
}
