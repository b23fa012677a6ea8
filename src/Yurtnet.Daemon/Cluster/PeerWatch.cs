using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Follows the Nodes of this node's NodePool (one list+watch by label selector, under a User-Agent of its own so that
/// yurthub's one-selector-per-resource rule leaves the own-Node watch alone) into the <see cref="PeerTable"/>, keeps
/// the table in the store, and hands it to the <see cref="PeerNetwork"/>. Makes no request but the list and the watch
/// (no poll, no write); while this node's pool is unknown it waits; when the pool changes it watches the new one.
/// </summary>
internal sealed partial class PeerWatch(
    [FromKeyedServices(PeerWatch.UserAgent)] ClusterClient client,
    CloudHealth cloud,
    ClusterFacts facts,
    PeerNetwork network,
    PeerNetworkOptions peerOptions,
    ClusterOptions options,
    TimeProvider time,
    ILogger<PeerWatch> logger)
{
    /// <summary>yurthub's cache key for this watch (add it to <c>cache_agents</c> to have offline lists answered; yurtnetd does not need them).</summary>
    public const string UserAgent = "yurtnet-peers";

    private readonly object _gate = new();
    private PeerTable? _table;
    private IReadOnlyList<Peer>? _pushed;
    private CancellationTokenSource? _run;
    private string? _runSelector;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (!network.Enabled)
        {
            return;
        }

        lock (_gate)
        {
            // Once per daemon, not per supervised restart: the table in memory may be ahead of a store that was full.
            _table ??= new PeerTable(facts.Peers.Select(Peer.FromStored).OfType<Peer>());
        }

        cloud.Changed += OnCloudChanged;
        facts.NodeChanged += OnNodeChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                string? pool;
                lock (_gate)
                {
                    pool = facts.Node?.Pool;
                    (_run, _runSelector) = (run, peerOptions.Scope.ApiSelector(pool));
                }

                try
                {
                    await WatchAsync(pool, run.Token);
                }
                finally
                {
                    lock (_gate)
                    {
                        _run = null;
                    }

                    run.Dispose();
                }
            }
        }
        finally
        {
            cloud.Changed -= OnCloudChanged;
            facts.NodeChanged -= OnNodeChanged;
        }
    }

    private async Task WatchAsync(string? pool, CancellationToken cancellationToken)
    {
        var selector = peerOptions.Scope.ApiSelector(pool);
        try
        {
            if (selector is null)
            {
                LogNoPool(logger, options.NodeName, PeerScope.PoolLabel);
                await PoolKnownAsync(cancellationToken);
                return;
            }

            LogWatching(logger, selector.Length == 0 ? "every Node" : selector);
            await new KubeListWatch(client, cloud, "api/v1/nodes", KubeListWatch.LabelSelector(selector), options.WatchTimeout, time, logger).RunAsync(
                (items, _) => ApplyAsync(t => t.Listed(InScope(items, pool), cloud.State == CloudState.Online, time.GetUtcNow())),
                (type, item, _) => OnEventAsync(type, item, pool),
                cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The pool changed (the loop watches the new one) or yurtnetd stops.
        }
    }

    /// <summary>Returns once this node's Node has a pool label (the loop then watches that pool).</summary>
    private async Task PoolKnownAsync(CancellationToken cancellationToken)
    {
        var known = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnNode(NodeFacts node)
        {
            if (node.Pool is not null)
            {
                known.TrySetResult();
            }
        }

        facts.NodeChanged += OnNode;
        try
        {
            if (facts.Node?.Pool is null)
            {
                await known.Task.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            facts.NodeChanged -= OnNode;
        }
    }

    private Task OnEventAsync(string type, JsonElement item, string? pool)
    {
        if (type == "BOOKMARK")
        {
            return ApplyAsync(t => t.Confirm());
        }

        if (KubeObject.Metadata(item, "name") is not { } name || name == options.NodeName)
        {
            return Task.CompletedTask;
        }

        return type switch
        {
            "ADDED" or "MODIFIED" when peerOptions.Scope.Matches(KubeObject.Labels(item), pool) => ApplyAsync(t => t.Seen(ToPeer(item, name), time.GetUtcNow())),
            "ADDED" or "MODIFIED" or "DELETED" => ApplyAsync(t => t.Gone(name)),
            _ => Task.CompletedTask,
        };
    }

    /// <summary>One step of the table; then the store and the datapath follow the table.</summary>
    private async Task ApplyAsync(Func<PeerTable, PeerTableChange> step)
    {
        PeerTableChange change;
        IReadOnlyList<Peer> peers;
        lock (_gate)
        {
            change = step(_table!);
            peers = _table!.Peers;
        }

        foreach (var peer in change.Upserts)
        {
            LogPeerSeen(logger, peer.ToString(), peer.Pool ?? "-");
        }

        foreach (var name in change.Removals)
        {
            LogPeerWithdrawn(logger, name);
        }

        try
        {
            await StoreAsync(peers);
        }
        finally
        {
            // Whatever happened to the save, the datapath gets the table (only when it differs from what it got last).
            if (_pushed is null || !_pushed.SequenceEqual(peers))
            {
                network.SetClusterPeers(peers);
                _pushed = peers;
            }
        }
    }

    /// <summary>
    /// Stores the whole difference between the table and the store, not only this step's: a step that could not be
    /// stored (a full card) is stored with the next one. Not cancelled half-way by a pool change or a stop.
    /// </summary>
    private async Task StoreAsync(IReadOnlyList<Peer> peers)
    {
        var stored = facts.Peers.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var upserts = peers.Select(p => p.ToStored()).Where(p => !stored.TryGetValue(p.Name, out var s) || !s.SameAs(p)).ToList();
        var removals = stored.Keys.Where(n => !peers.Any(p => p.Name == n)).ToList();
        if (upserts.Count == 0 && removals.Count == 0)
        {
            return;
        }

        try
        {
            await facts.SavePeersAsync(upserts, removals, CancellationToken.None);
        }
        catch (StoreUnavailableException ex)
        {
            // Routed now all the same (the API server said so); after a reboot the stored table stands until the
            // live server is listed again.
            LogNotStored(logger, ex.Message);
        }
    }

    /// <summary>The listed Nodes that are peers: selectors applied again (yurthub's offline lists ignore them), this node left out.</summary>
    private List<Peer> InScope(IReadOnlyList<JsonElement> items, string? pool) =>
        items.Select(i => (Item: i, Name: KubeObject.Metadata(i, "name")))
            .Where(i => i.Name is not null && i.Name != options.NodeName && peerOptions.Scope.Matches(KubeObject.Labels(i.Item), pool))
            .Select(i => ToPeer(i.Item, i.Name!))
            .ToList();

    /// <summary>A Node as a peer: its pod CIDRs and its first address of the configured type per family.</summary>
    private Peer ToPeer(JsonElement node, string name)
    {
        return new Peer
        {
            Name = name,
            PodCidrs = NodeWatch.PodCidrs(node).Cidrs.Select(c => IPNetwork.Parse(c)).ToList(),
            Addresses = Peer.AddressesOfType(KubeObject.NodeAddresses(node), peerOptions.AddressType),
            Pool = KubeObject.Label(node, PeerScope.PoolLabel),
        };
    }

    private void OnCloudChanged(CloudState state, string detail, DateTimeOffset since)
    {
        lock (_gate)
        {
            _table?.Invalidate();
        }
    }

    /// <summary>This node moved to another pool: watch that one (scopes that do not depend on the pool go on as they are).</summary>
    private void OnNodeChanged(NodeFacts node)
    {
        lock (_gate)
        {
            if (peerOptions.Scope.ApiSelector(node.Pool) != _runSelector)
            {
                _run?.Cancel();
            }
        }
    }
}
