using Prometheus;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.Configuration;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Metrics;

/// <summary>
/// The gauges of the metrics, set from what <c>yurtnetctl status</c> reads, in memory, before each collection. One
/// update at a time (an HTTP scrape and the textfile writer may collect together); the lease table is waited for at
/// most a second, so a store stalled behind a slow card delays a scrape by that much, never more, and leaves health,
/// cloud and peers current.
/// </summary>
internal sealed class StatusGauges(MetricFactory factory, LeaseKeeper keeper, SpoolDrain spool, PeerNetwork peers, ClusterFacts facts, HealthModel health, CloudHealth? cloud, Func<long> dropped) : IDisposable
{
    private static readonly string[] LeaseStates = ["active", "pending", "held"];
    private static readonly string[] CloudStates = ["online", "offline", "unknown", "standalone"];

    private readonly SemaphoreSlim _updating = new(1, 1);
    private readonly Gauge _build = factory.CreateGauge("yurtnet_build_info", "yurtnetd's version (the value is 1)", "version");
    private readonly Gauge _cniReady = factory.CreateGauge("yurtnet_cni_ready", "1 while yurtnetd serves ADD (the store open and writable), else 0");
    private readonly Gauge _leases = factory.CreateGauge("yurtnet_leases", "Leases by state: active (a pod has the address), pending (between allocate and commit), held (kept for a deleted pod's return)", "state");
    private readonly Gauge _poolUsed = factory.CreateGauge("yurtnet_pool_used_addresses", "Addresses of the pool that a lease holds (any state), by network and pool", "network", "pool");
    private readonly Gauge _poolSize = factory.CreateGauge("yurtnet_pool_size_addresses", "Addresses the pool can hand out (network, broadcast and gateway excluded), by pool", "pool");
    private readonly Gauge _spooled = factory.CreateGauge("yurtnet_spool_releases", "DELs written to the spool while yurtnetd could not answer, not yet applied");
    private readonly Gauge _outbox = factory.CreateGauge("yurtnet_outbox_entries", "Pod network-status annotations waiting to be written to the API server");
    private readonly Gauge _peers = factory.CreateGauge("yurtnet_peers", "Gateways of the NodePool by how their pods are reached: hostgw, vxlan, or none (refused or failed)", "mode");
    private readonly Gauge _cloudState = factory.CreateGauge("yurtnet_cloud_state", "The cloud link's state: 1 for the current one of online, offline, unknown, standalone", "state");
    private readonly Gauge _lastOnline = factory.CreateGauge("yurtnet_cloud_last_online_timestamp_seconds", "When the cloud was last known online from evidence of this run (Unix time; now while online): time() minus it is how long the gateway has been cut off");
    private readonly Gauge _storeWritable = factory.CreateGauge("yurtnet_store_writable", "1 while the state database takes writes, 0 while it cannot (a full or failing card)");
    private readonly Gauge _recentFailures = factory.CreateGauge("yurtnet_recent_failures", "ADDs refused or rolled back and watchdog near-misses in the last 10 minutes (what lights the fault LED)");
    private readonly Counter _problems = factory.CreateCounter("yurtnet_metrics_problems_total", "What kept the metrics from being current: update_failed (the gauges kept their last values), leases_late (the lease table was busy past a second), measurement_dropped (a counter or histogram lost a measurement)", "problem");
    private readonly HashSet<string[]> _poolUsedSeries = new(LabelsComparer.Instance);
    private readonly HashSet<string[]> _poolSizeSeries = new(LabelsComparer.Instance);
    private readonly HashSet<string[]> _peerSeries = new(LabelsComparer.Instance);

    /// <summary>How long a collection waits for the lease table.</summary>
    internal static readonly TimeSpan LeaseWait = TimeSpan.FromSeconds(1);

    /// <summary>Collections that kept the last lease values because the table was busy longer than <see cref="LeaseWait"/>.</summary>
    public long LeasesLate { get; private set; }

    /// <summary>Updates that failed (the gauges keep their last values); exported with the next collection.</summary>
    public long Failures { get; private set; }

    /// <summary>The last failure, or null.</summary>
    public string? LastFailure { get; private set; }

    public async Task UpdateAsync(CancellationToken cancellationToken)
    {
        await _updating.WaitAsync(cancellationToken);
        try
        {
            _problems.WithLabels("update_failed").IncTo(Failures);
            _problems.WithLabels("leases_late").IncTo(LeasesLate);
            _problems.WithLabels("measurement_dropped").IncTo(dropped());
            _build.WithLabels(DaemonVersion.Text).Set(1);
            var now = health.Snapshot();
            _cniReady.Set(now.Cni == "ready" ? 1 : 0);
            _storeWritable.Set(now.Store == "ok" ? 1 : 0);
            _recentFailures.Set(now.RecentFailures);
            foreach (var state in CloudStates)
            {
                _cloudState.WithLabels(state).Set(now.Cloud == state ? 1 : 0);
            }

            if (cloud?.LastOnline is { } lastOnline)
            {
                _lastOnline.Set(lastOnline.ToUnixTimeMilliseconds() / 1000.0);
            }
            else
            {
                _lastOnline.Unpublish();
            }

            Replace(_peers, _peerSeries, peers.Snapshot().GroupBy(p => p.State == "routed" ? p.Mode : "none").ToDictionary(g => new[] { g.Key }, g => (double)g.Count(), LabelsComparer.Instance));
            _spooled.Set(spool.PendingCount());
            _outbox.Set(keeper.OutboxCount);

            // Last, and at most a second: it waits for the keeper, which waits for a commit in progress, and a slow card
            // must not make every scrape time out just when the store's metrics matter. Then the leases keep their last
            // values, and the miss is counted.
            List<Lease> leases;
            using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                bounded.CancelAfter(LeaseWait);
                try
                {
                    leases = await keeper.SnapshotAsync(bounded.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    LeasesLate++;
                    return;
                }
            }

            foreach (var state in LeaseStates)
            {
                _leases.WithLabels(state).Set(leases.Count(l => Name(l.State) == state));
            }

            Replace(_poolUsed, _poolUsedSeries, leases.GroupBy(l => (l.Network, l.Pool)).ToDictionary(g => new[] { g.Key.Network, g.Key.Pool }, g => (double)g.Count(), LabelsComparer.Instance));
            Replace(_poolSize, _poolSizeSeries, PoolUse.Of(leases, facts.Node?.PodCidrs ?? []).Where(p => p.Capacity is not null)
                .ToDictionary(p => new[] { p.Cidr }, p => (double)p.Capacity!.Value, LabelsComparer.Instance));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // prometheus-net would only trace it: counted and kept, and the collection goes on with the last values.
            Failures++;
            LastFailure = $"{ex.GetType().Name}: {ex.Message}";
        }
        finally
        {
            _updating.Release();
        }
    }

    public void Dispose() => _updating.Dispose();

    private static string Name(LeaseState state) => state switch
    {
        LeaseState.Active => "active",
        LeaseState.Pending => "pending",
        _ => "held",
    };

    /// <summary>Sets the series of <paramref name="values"/> and removes those that are gone (a pool no longer used).</summary>
    private static void Replace(Gauge gauge, HashSet<string[]> published, Dictionary<string[], double> values)
    {
        foreach (var gone in published.Where(labels => !values.ContainsKey(labels)).ToList())
        {
            gauge.RemoveLabelled(gone);
            published.Remove(gone);
        }

        foreach (var (labels, value) in values)
        {
            gauge.WithLabels(labels).Set(value);
            published.Add(labels);
        }
    }

    private sealed class LabelsComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelsComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(string[] labels)
        {
            var hash = new HashCode();
            foreach (var label in labels)
            {
                hash.Add(label, StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }
    }
}
