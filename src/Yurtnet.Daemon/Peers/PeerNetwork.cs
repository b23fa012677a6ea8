using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.State;
using Yurtnet.Netlink;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Peers;

/// <summary>
/// The NodePool network: the peer table (static peers and, with a cluster, the Nodes of the pool) and its datapath.
/// Programs the kernel in <see cref="StartAsync"/>, so the routes are back before the socket serves the first ADD and
/// before any API contact; then compares and repairs every <see cref="PeerNetworkOptions.ResyncInterval"/> (a route
/// another program deleted comes back) and at once after a change of the table.
/// </summary>
internal sealed partial class PeerNetwork(PeerNetworkOptions options, PeerDatapath datapath, MasqueradeExemption exemption, ClusterFacts facts, TimeProvider time, ILogger<PeerNetwork> logger) : IHostedService, IDisposable
{
    private const int DefaultPodMtu = 1500;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, string> _refusalsLogged = new(StringComparer.Ordinal);
    private IReadOnlyList<Peer> _clusterPeers = facts.Peers.Select(Peer.FromStored).OfType<Peer>().ToList();
    private IReadOnlyList<PeerInfo> _snapshot = [];
    private PeerSyncInfo? _lastSync;
    private Task _loop = Task.CompletedTask;

    /// <summary>Whether the NodePool network is on.</summary>
    public bool Enabled => options.Enabled;

    /// <summary>Syncs done (start, resyncs, changes), for tests.</summary>
    public int Syncs { get; private set; }

    /// <summary>The last sync, as <c>yurtnetctl peers</c> shows it; null before the first.</summary>
    public PeerSyncInfo? LastSync => Volatile.Read(ref _lastSync);

    /// <summary>
    /// The MTU a new pod with addresses from <paramref name="pools"/> needs when the conflist sets none: the tunnel's,
    /// while any peer is reached through it and the pod is in this gateway's pod CIDRs (the ones the peers route here),
    /// as long as that is below the default 1500 (a jumbo uplink does not make pods send jumbo packets off the site);
    /// null otherwise. Pods made before a tunnel appears keep theirs.
    /// </summary>
    public int? PodMtuFor(IEnumerable<IPNetwork> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        if (!options.Enabled || datapath.TunnelMtu is not (< DefaultPodMtu and var mtu))
        {
            return null;
        }

        var own = OwnCidrs();
        return pools.Any(pool => own.Any(cidr => PeerAdmission.Overlap(cidr, pool))) ? mtu : null;
    }

    /// <summary>The table as <c>yurtnetctl peers</c> shows it.</summary>
    public IReadOnlyList<PeerInfo> Snapshot() => Volatile.Read(ref _snapshot);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            await RemoveIfAnyAsync(cancellationToken);
            return;
        }

        LogStarting(logger, options.Describe(), _clusterPeers.Count);
        try
        {
            await SyncAsync("start", cancellationToken);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
        {
            // The socket serves whatever happens here: pods on this gateway do not need the peers to start.
            LogSyncFailed(logger, "start", ex.Message);
        }

        facts.NodeChanged += OnNodeChanged;
        _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The routes stay: pods keep reaching their peers while yurtnetd restarts or is upgraded.
        facts.NodeChanged -= OnNodeChanged;
        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Replaces the peers learned from the cluster and syncs soon (the static peers stay).</summary>
    public void SetClusterPeers(IReadOnlyList<Peer> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        Volatile.Write(ref _clusterPeers, peers);
        Signal();
    }

    /// <summary>Compares the kernel with the table now and repairs it.</summary>
    public Task ResyncAsync(CancellationToken cancellationToken) => SyncAsync("resync", cancellationToken);

    /// <summary>This node's pod CIDRs or addresses may have changed: what a peer may claim, where the tunnel starts.</summary>
    private void OnNodeChanged(NodeFacts node) => Signal();

    private void Signal()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A sync is already due.
        }
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var why = "resync";
            try
            {
                using (var due = new CancellationTokenSource(options.ResyncInterval, time))
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, due.Token))
                {
                    try
                    {
                        await _changed.WaitAsync(wait.Token);
                        why = "change";
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        why = "resync";
                    }
                }

                await SyncAsync(why, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The loop must outlive any one bad sync: the next one tries again.
                LogSyncFailed(logger, why, ex.Message);
            }
        }
    }

    private async Task SyncAsync(string why, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        var started = time.GetTimestamp();
        try
        {
            var routedBefore = _snapshot.Where(p => p.State == "routed").Select(p => p.Node).ToHashSet(StringComparer.Ordinal);
            var staticNames = options.Peers.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var candidates = options.Peers.Concat(Volatile.Read(ref _clusterPeers).Where(p => !staticNames.Contains(p.Name))).ToList();
            var own = OwnCidrs();
            var admission = PeerAdmission.Admit(candidates, facts.Node?.NodeName, own, routedBefore);
            LogRefusals(admission.Refused);

            IReadOnlyDictionary<string, PeerPath> paths;
            var changes = 0;
            string? error = null;
            try
            {
                (paths, changes) = datapath.Sync(admission.Accepted, OwnAddresses());
            }
            catch (NetlinkException ex)
            {
                error = ex.Message;
                // Without CAP_NET_ADMIN (an old unit file) or with a kernel that refuses: say so on every peer.
                LogSyncFailed(logger, why, ex.Message);
                paths = admission.Accepted.ToDictionary(p => p.Name, _ => new PeerPath(PeerMode.Auto, Problem: ex.Message), StringComparer.Ordinal);
            }

            exemption.Sync(own.Concat(admission.Accepted.SelectMany(p => p.PodCidrs)).Concat(options.NonMasqueradeCidrs).Distinct().ToList());
            Syncs++;
            var snapshot = admission.Accepted.Select(p => Info(p, paths[p.Name]))
                .Concat(admission.Refused.Select(r => Info(r.Peer, null, "refused: " + r.Reason)))
                .OrderBy(p => p.Node, StringComparer.Ordinal)
                .ToList();
            Volatile.Write(ref _snapshot, snapshot);
            Volatile.Write(ref _lastSync, new PeerSyncInfo { Why = why, At = time.GetUtcNow(), Milliseconds = time.GetElapsedTime(started).TotalMilliseconds, Changes = changes, Count = Syncs, Error = error });
            if (changes > 0 || why == "start")
            {
                LogSynced(logger, why, snapshot.Count(p => p.State == "routed"), snapshot.Count, changes);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>This gateway's underlay addresses: <c>nodePool.address</c>, else its Node's addresses of the configured type (the ones its peers know).</summary>
    private List<IPAddress> OwnAddresses()
    {
        if (options.Address is { } configured)
        {
            return [configured];
        }

        return Peer.AddressesOfType(facts.Node?.Addresses ?? [], options.AddressType);
    }

    /// <summary>This gateway's pod CIDRs: <c>nodePool.podCidrs</c> and its Node's <c>spec.podCIDRs</c>.</summary>
    private List<IPNetwork> OwnCidrs() =>
        options.PodCidrs.Concat((facts.Node?.PodCidrs ?? []).Select(t => IPNetwork.TryParse(t, out var n) ? n : (IPNetwork?)null).OfType<IPNetwork>()).Distinct().ToList();

    private void LogRefusals(IReadOnlyList<(Peer Peer, string Reason)> refused)
    {
        foreach (var (peer, reason) in refused)
        {
            if (!_refusalsLogged.TryGetValue(peer.Name, out var logged) || logged != reason)
            {
                LogRefused(logger, peer.ToString(), reason);
                _refusalsLogged[peer.Name] = reason;
            }
        }

        foreach (var name in _refusalsLogged.Keys.Where(n => !refused.Any(r => r.Peer.Name == n)).ToList())
        {
            _refusalsLogged.Remove(name);
        }
    }

    private static PeerInfo Info(Peer peer, PeerPath? path, string? state = null) => new()
    {
        Node = peer.Name,
        Pool = peer.Pool,
        PodCidrs = peer.PodCidrs.Select(c => c.ToString()).ToList(),
        Addresses = peer.Addresses.Select(a => a.ToString()).ToList(),
        Mode = path is null || path.Problem is not null ? "-" : path.ModeName,
        State = state ?? (path?.Problem is { } problem ? "failed: " + problem : "routed"),
        Source = peer.Static ? "static" : "cluster",
        Since = peer.Since,
    };

    private async Task RemoveIfAnyAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var removed = datapath.RemoveAll();
            if (removed > 0)
            {
                LogRemovedOff(logger, removed);
            }
        }
        catch (NetlinkException ex)
        {
            LogSyncFailed(logger, "removal (nodePool off)", ex.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _gate.Dispose();
        _changed.Dispose();
    }
}
