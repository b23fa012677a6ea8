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
/// plugin last described it with a commit; and removes a network's masquerade chain once the network has no pending
/// or active lease left, whichever way its last lease went (a DEL from the spool, GC, a reclaim, a hold that
/// expired). Every change is asked of the kernel, never trusted from a marker file alone, and logged.
/// </summary>
/// <remarks>
/// The chain's removal holds the plugin's masquerade lock from the look at the leases until the chain is gone, as a
/// DEL does, and an ADD installs or checks the chain under the same lock after its allocation: so the chain is never
/// removed under a pod that has just been given an address. No lease lock is held while the file lock is awaited.
/// The other way round is allowed to be late: a repair that looked at the leases just before a network's last DEL may
/// install the chain again after that DEL removed it; the next pass removes it (a chain without pods matches nothing).
/// </remarks>
internal sealed partial class HostRepair(LeaseKeeper keeper, NetworkHosts hosts, ReconcileOptions options, ILogger<HostRepair> logger) : IDisposable
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan NftTimeout = TimeSpan.FromSeconds(10);
    private readonly Masquerade _masquerade = new(options.RunDir);
    private readonly Dictionary<string, string> _problems = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>One pass over every known network (one at a time); returns what was put back or removed (also logged).</summary>
    public async Task<List<string>> RunAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await PassAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<List<string>> PassAsync(CancellationToken cancellationToken)
    {
        var shapes = await hosts.AllAsync(cancellationToken);
        var leases = await keeper.SnapshotAsync(cancellationToken);
        var done = new List<string>();
        var networks = shapes.Keys.Concat(leases.Select(l => l.Network)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var network in networks)
        {
            var live = leases.Where(l => l.Network == network && l.State == LeaseState.Active && l.BootId == keeper.BootId).ToList();
            var busy = leases.Any(l => l.Network == network && l.State is LeaseState.Pending or LeaseState.Active);
            var problems = new List<string>();
            try
            {
                if (live.Count > 0 && shapes.TryGetValue(network, out var shape))
                {
                    done.AddRange(await Task.Run(() => Repair(network, shape, live, problems), cancellationToken));
                }
                else if (!busy && _masquerade.Installed(network))
                {
                    done.AddRange(await RemoveMasqueradeAsync(network, cancellationToken));
                }
            }
            catch (Exception ex) when (IsHostFailure(ex))
            {
                problems.Add(ex.Message);
            }

            Report(network, problems);
        }

        foreach (var line in done)
        {
            LogRepaired(logger, line);
        }

        return done;
    }

    /// <summary>
    /// Repairs one network. A step that fails is added to <paramref name="problems"/> and the next steps still run (a
    /// read-only forwarding switch must not keep the masquerade chain away); a link of the bridge's name that is no
    /// bridge stops the repair of that network, which is then never touched.
    /// </summary>
    private List<string> Repair(string network, NetworkHost shape, IReadOnlyList<Lease> live, List<string> problems)
    {
        var done = new List<string>();
        var pools = live.Select(l => Pool.TryParse(l.Pool, out var pool, out _) ? pool : null).OfType<Pool>().DistinctBy(p => p.Cidr).ToList();
        var gateways = shape.IsGateway ? pools.Select(p => (p.Gateway, p.Network.PrefixLength)).ToList() : [];
        using (var host = NetlinkSocket.Open())
        {
            var ensured = HostBridge.Ensure(host, shape.Bridge, shape.Mtu, gateways);
            if (!ensured.IsBridge)
            {
                problems.Add($"\"{shape.Bridge}\" is a {ensured.Link.Kind ?? "physical device"}, not a bridge: its pods are cut off and nothing is repaired; remove that link or move the network to another bridge");
                return done;
            }

            if (ensured.Created)
            {
                done.Add($"network \"{network}\": bridge {shape.Bridge} was gone: made again");
            }

            if (ensured.GatewaysAdded.Count > 0)
            {
                done.Add($"network \"{network}\": gateway address(es) {string.Join(", ", ensured.GatewaysAdded)} of bridge {shape.Bridge} were gone: added again");
            }

            if (ensured.BroughtUp)
            {
                done.Add($"network \"{network}\": bridge {shape.Bridge} was down: set up");
            }

            var ports = HostBridge.Reattach(host, ensured.Link, live.Select(l => HostVethName.For(l.ContainerId, l.IfName)).Distinct());
            if (ports.Count > 0)
            {
                done.Add($"network \"{network}\": {ports.Count} pod port(s) were off bridge {shape.Bridge}: attached again ({string.Join(", ", ports)})");
            }
        }

        if (shape.IsGateway)
        {
            try
            {
                var families = pools.Select(p => p.Network.BaseAddress.AddressFamily).ToHashSet();
                done.AddRange(Forwarding.Ensure(families.Contains(AddressFamily.InterNetwork), families.Contains(AddressFamily.InterNetworkV6)).Select(r => $"network \"{network}\": {r}"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems.Add($"IP forwarding cannot be turned on ({ex.Message}): is /proc/sys read-only for yurtnetd (ProtectKernelTunables= without the unit's ReadWritePaths=)?");
            }
        }

        try
        {
            if (shape.IpMasq && shape.MasqueradeSubnets.Count > 0
                && _masquerade.Ensure(network, shape.MasqueradeSubnets.Select(s => IPNetwork.Parse(s)).ToList(), LockTimeout))
            {
                done.Add($"network \"{network}\": the masquerade chain was gone (nft flush ruleset?): installed again");
            }
        }
        catch (NftablesException ex)
        {
            problems.Add($"{ex.Message} ({Masquerade.Hint(ex)})");
        }
        catch (TimeoutException ex)
        {
            problems.Add($"the masquerade chain was not checked: {ex.Message}");
        }

        return done;
    }

    private static bool IsHostFailure(Exception ex) =>
        ex is NetlinkException or NftablesException or IOException or UnauthorizedAccessException or TimeoutException;

    /// <summary>Logs a network's problems when they change, and once when they are gone.</summary>
    private void Report(string network, List<string> problems)
    {
        if (problems.Count == 0)
        {
            if (_problems.Remove(network))
            {
                LogProblemGone(logger, network);
            }

            return;
        }

        var text = string.Join("; ", problems);
        if (!_problems.TryGetValue(network, out var known) || known != text)
        {
            _problems[network] = text;
            LogProblem(logger, network, text);
        }
    }

    private async Task<List<string>> RemoveMasqueradeAsync(string network, CancellationToken cancellationToken)
    {
        using var held = await Task.Run(() => _masquerade.HoldForRelease(LockTimeout), cancellationToken);
        // Looked at again under the lock: an ADD allocated before this look keeps the chain; one after it waits for the
        // lock and then installs the chain again.
        var leases = await keeper.SnapshotAsync(cancellationToken);
        if (leases.Any(l => l.Network == network && l.State is LeaseState.Pending or LeaseState.Active))
        {
            return [];
        }

        return _masquerade.RemoveIfInstalled(network, NftTimeout)
            ? [$"network \"{network}\" has no pending or active lease left: masquerade chain removed"]
            : [];
    }

    public void Dispose() => _gate.Dispose();
}
