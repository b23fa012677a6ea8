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
    private PeerTable _table = new([]);
    private CancellationTokenSource? _run;
    private string? _runPool;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (!network.Enabled)
        {
            return;
        }

        lock (_gate)
        {
            _table = new PeerTable(facts.Peers.Select(Peer.FromStored).OfType<Peer>());
        }

        cloud.Changed += OnCloudChanged;
        facts.NodeChanged += OnNodeChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                string? pool;
                lock (_gate)
                {
                    pool = facts.Node?.Pool;
                    (_run, _runPool) = (run, pool);
                }

                await WatchAsync(pool, run.Token);
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
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return;
            }

            LogWatching(logger, selector.Length == 0 ? "every Node" : selector);
            await new KubeListWatch(client, cloud, "api/v1/nodes", KubeListWatch.LabelSelector(selector), options.WatchTimeout, logger).RunAsync(
                (items, ct) => ApplyAsync(t => t.Listed(InScope(items, pool), cloud.State == CloudState.Online, time.GetUtcNow()), ct),
                (type, item, ct) => OnEventAsync(type, item, pool, ct),
                cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The pool changed (the loop watches the new one) or yurtnetd stops.
        }
    }

    private Task OnEventAsync(string type, JsonElement item, string? pool, CancellationToken cancellationToken)
    {
        if (type == "BOOKMARK")
        {
            return ApplyAsync(t => t.Confirm(), cancellationToken);
        }

        if (KubeObject.Metadata(item, "name") is not { } name || name == options.NodeName)
        {
            return Task.CompletedTask;
        }

        return type switch
        {
            "ADDED" or "MODIFIED" when peerOptions.Scope.Matches(KubeObject.Labels(item), pool) => ApplyAsync(t => t.Seen(ToPeer(item, name), time.GetUtcNow()), cancellationToken),
            "ADDED" or "MODIFIED" or "DELETED" => ApplyAsync(t => t.Gone(name), cancellationToken),
            _ => Task.CompletedTask,
        };
    }

    /// <summary>One step of the table; then the store follows the table and the datapath follows the store.</summary>
    private async Task ApplyAsync(Func<PeerTable, PeerTableChange> step, CancellationToken cancellationToken)
    {
        PeerTableChange change;
        IReadOnlyList<Peer> peers;
        lock (_gate)
        {
            change = step(_table);
            peers = _table.Peers;
        }

        foreach (var peer in change.Upserts)
        {
            LogPeerSeen(logger, peer.ToString(), peer.Pool ?? "-");
        }

        foreach (var name in change.Removals)
        {
            LogPeerWithdrawn(logger, name);
        }

        // The whole difference with what is stored, not only this step's: a step that could not be stored (a full
        // card) is stored with the next one.
        var stored = facts.Peers.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var upserts = peers.Select(p => p.ToStored()).Where(p => !stored.TryGetValue(p.Name, out var s) || !Same(s, p)).ToList();
        var removals = stored.Keys.Where(n => !peers.Any(p => p.Name == n)).ToList();
        if (upserts.Count > 0 || removals.Count > 0)
        {
            try
            {
                await facts.SavePeersAsync(upserts, removals, cancellationToken);
            }
            catch (StoreUnavailableException ex)
            {
                // Routed now all the same (the API server said so); after a reboot the stored table stands until the
                // live server is listed again.
                LogNotStored(logger, ex.Message);
            }
        }

        if (!change.IsEmpty)
        {
            network.SetClusterPeers(peers);
        }
    }

    private static bool Same(StoredPeer a, StoredPeer b) =>
        a.PodCidrs.SequenceEqual(b.PodCidrs) && a.Addresses.SequenceEqual(b.Addresses) && a.Pool == b.Pool && a.Since.ToUnixTimeMilliseconds() == b.Since.ToUnixTimeMilliseconds();

    /// <summary>The listed Nodes that are peers: selectors applied again (yurthub's offline lists ignore them), this node left out.</summary>
    private List<Peer> InScope(IReadOnlyList<JsonElement> items, string? pool) =>
        items.Select(i => (Item: i, Name: KubeObject.Metadata(i, "name")))
            .Where(i => i.Name is not null && i.Name != options.NodeName && peerOptions.Scope.Matches(KubeObject.Labels(i.Item), pool))
            .Select(i => ToPeer(i.Item, i.Name!))
            .ToList();

    /// <summary>A Node as a peer: its pod CIDRs and its first address of the configured type per family.</summary>
    private Peer ToPeer(JsonElement node, string name)
    {
        var addresses = new List<IPAddress>();
        var prefix = peerOptions.AddressType + "=";
        foreach (var text in KubeObject.NodeAddresses(node).Where(a => a.StartsWith(prefix, StringComparison.Ordinal)))
        {
            if (IPAddress.TryParse(text[prefix.Length..], out var address) && !addresses.Any(a => a.AddressFamily == address.AddressFamily))
            {
                addresses.Add(address);
            }
        }

        return new Peer
        {
            Name = name,
            PodCidrs = NodeWatch.PodCidrs(node).Cidrs.Select(c => IPNetwork.Parse(c)).ToList(),
            Addresses = addresses,
            Pool = KubeObject.Label(node, PeerScope.PoolLabel),
        };
    }

    private void OnCloudChanged(CloudState state, string detail, DateTimeOffset since)
    {
        lock (_gate)
        {
            _table.Invalidate();
        }
    }

    private void OnNodeChanged(NodeFacts node)
    {
        lock (_gate)
        {
            if (node.Pool != _runPool)
            {
                _run?.Cancel();
            }
        }
    }
}
