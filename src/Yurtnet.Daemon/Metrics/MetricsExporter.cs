using System.Diagnostics.Metrics;
using System.Reflection;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Metrics;

/// <summary>
/// yurtnetd's metrics in the Prometheus text format, on an HTTP listener (<c>metrics.listen</c>) and in a node_exporter
/// textfile (<c>metrics.textfileDir</c>), when either is set. Counters and histograms are the components'
/// System.Diagnostics.Metrics instruments (<see cref="MeterBridge"/>); the gauges are read at each scrape from the
/// same sources as <c>yurtnetctl status</c> (leases, pools, spool, outbox, peers, health, the cloud), in memory: a
/// scrape never writes the store and never waits for the cloud. Neither output can stop yurtnetd: a port in use or a
/// directory it may not write is logged, with what to do, and tried again.
/// </summary>
internal sealed partial class MetricsExporter : BackgroundService
{
    /// <summary>How long after a failed start the listener is tried again.</summary>
    internal static readonly TimeSpan ListenRetry = TimeSpan.FromSeconds(30);

    private static readonly string Version = typeof(MetricsExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
    private static readonly string[] LeaseStates = ["active", "pending", "held"];
    private static readonly string[] CloudStates = ["online", "offline", "unknown", "standalone"];

    private readonly MetricsOptions _options;
    private readonly LeaseKeeper _keeper;
    private readonly SpoolDrain _spool;
    private readonly PeerNetwork _peers;
    private readonly ClusterFacts _facts;
    private readonly HealthModel _health;
    private readonly CloudHealth? _cloud;
    private readonly TimeProvider _time;
    private readonly ILogger<MetricsExporter> _logger;
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly MeterBridge? _bridge;
    private readonly Gauge _leases;
    private readonly Gauge _poolUsed;
    private readonly Gauge _poolSize;
    private readonly Gauge _spooled;
    private readonly Gauge _outbox;
    private readonly Gauge _peerCount;
    private readonly Gauge _cloudState;
    private readonly Gauge _lastOnline;
    private readonly Gauge _cniReady;
    private readonly Gauge _storeWritable;
    private readonly Gauge _recentFailures;
    private readonly HashSet<string[]> _poolUsedSeries = new(LabelsComparer.Instance);
    private readonly HashSet<string[]> _poolSizeSeries = new(LabelsComparer.Instance);
    private readonly HashSet<string[]> _peerSeries = new(LabelsComparer.Instance);
    private string? _textfileProblem;

    public MetricsExporter(MetricsOptions options, IMeterFactory meters, LeaseKeeper keeper, SpoolDrain spool, PeerNetwork peers, ClusterFacts facts, HealthModel health, TimeProvider time, ILogger<MetricsExporter> logger, CloudHealth? cloud = null)
    {
        (_options, _keeper, _spool, _peers, _facts, _health, _cloud, _time, _logger) = (options, keeper, spool, peers, facts, health, cloud, time, logger);
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        factory.CreateGauge("yurtnet_build_info", "yurtnetd's version (the value is 1)", "version").WithLabels(Version).Set(1);
        _cniReady = factory.CreateGauge("yurtnet_cni_ready", "1 while yurtnetd serves ADD (the store open and writable), else 0");
        _leases = factory.CreateGauge("yurtnet_leases", "Leases by state: active (a pod has the address), pending (between allocate and commit), held (kept for a deleted pod's return)", "state");
        _poolUsed = factory.CreateGauge("yurtnet_pool_used_addresses", "Addresses of the pool that a lease holds (any state), by network and pool", "network", "pool");
        _poolSize = factory.CreateGauge("yurtnet_pool_size_addresses", "Addresses the pool can hand out (network, broadcast and gateway excluded), by pool", "pool");
        _spooled = factory.CreateGauge("yurtnet_spool_releases", "DELs written to the spool while yurtnetd could not answer, not yet applied");
        _outbox = factory.CreateGauge("yurtnet_outbox_entries", "Pod network-status annotations waiting to be written to the API server");
        _peerCount = factory.CreateGauge("yurtnet_peers", "Gateways of the NodePool by how their pods are reached: hostgw, vxlan, or none (refused or failed)", "mode");
        _cloudState = factory.CreateGauge("yurtnet_cloud_state", "The cloud link's state: 1 for the current one of online, offline, unknown, standalone", "state");
        _lastOnline = factory.CreateGauge("yurtnet_cloud_last_online_timestamp_seconds", "When the cloud was last known online from evidence of this run (Unix time; now while online): time() minus it is how long the gateway has been cut off");
        _storeWritable = factory.CreateGauge("yurtnet_store_writable", "1 while the state database takes writes, 0 while it cannot (a full or failing card)");
        _recentFailures = factory.CreateGauge("yurtnet_recent_failures", "ADDs refused or rolled back and watchdog near-misses in the last 10 minutes (what lights the fault LED)");
        if (options.Enabled)
        {
            DotNetStats.Register(_registry);
            _bridge = new MeterBridge(meters, factory);
            _registry.AddBeforeCollectCallback(UpdateAsync);
        }
    }

    /// <summary>The registry scraped and written, for tests.</summary>
    internal CollectorRegistry Registry => _registry;

    /// <summary>Why the textfile could not be written the last time, or null when it was.</summary>
    internal string? TextfileProblem => Volatile.Read(ref _textfileProblem);

    /// <summary>The path of the textfile, or null.</summary>
    internal string? TextfilePath => _options.TextfileDir is { } dir ? Path.Combine(dir, MetricsOptions.TextfileName) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        var serving = _options.Listen is { } listen ? ServeAsync(listen, stoppingToken) : Task.CompletedTask;
        var writing = _options.TextfileDir is not null ? WriteTextfileAsync(stoppingToken) : Task.CompletedTask;
        await Task.WhenAll(serving, writing);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // A file left behind would show a stopped yurtnetd's last numbers as current.
        if (TextfilePath is { } path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogTextfileNotRemoved(_logger, path, ex.Message);
            }
        }
    }

    public override void Dispose()
    {
        _bridge?.Dispose();
        base.Dispose();
    }

    private async Task ServeAsync(IPEndPoint listen, CancellationToken stoppingToken)
    {
        // HttpListener prefixes: "+" takes every address (and any Host header); an address takes only itself.
        var host = listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any) ? "+"
            : listen.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{listen.Address}]" : listen.Address.ToString();
        while (!stoppingToken.IsCancellationRequested)
        {
            var server = new MetricServer(host, listen.Port, "metrics/", _registry);
            try
            {
                server.Start();
            }
            catch (Exception ex) when (ex is HttpListenerException or SocketException or InvalidOperationException)
            {
                server.Dispose();
                LogListenFailed(_logger, listen.ToString(), ex.Message, ListenRetry.TotalSeconds);
                await Task.Delay(ListenRetry, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            LogListening(_logger, $"http://{listen}/metrics");
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            finally
            {
                await server.StopAsync();
                server.Dispose();
            }
        }
    }

    private async Task WriteTextfileAsync(CancellationToken stoppingToken)
    {
        var path = TextfilePath!;
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{MetricsOptions.TextfileName}.{Environment.ProcessId}");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Written aside and renamed: node_exporter reads *.prom and never sees half a file.
                await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    await _registry.CollectAndExportAsTextAsync(file, stoppingToken);
                }

                File.Move(temporary, path, overwrite: true);
                if (_textfileProblem is not null)
                {
                    _textfileProblem = null;
                    LogTextfileWritten(_logger, path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var problem = Explain(path, ex);
                if (problem != _textfileProblem)
                {
                    _textfileProblem = problem;
                    LogTextfileFailed(_logger, path, problem);
                }

                TryDelete(temporary);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                TryDelete(temporary);
                return;
            }

            await Task.Delay(_options.TextfileInterval, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>What went wrong, and what to do about it: the unit's sandbox allows one directory by default.</summary>
    private static string Explain(string path, Exception ex)
    {
        var directory = Path.GetDirectoryName(path)!;
        var errno = ex.HResult;
        if (errno == Interop.EROFS || ex is UnauthorizedAccessException)
        {
            return $"{ex.Message}: the unit lets yurtnetd write only /var/lib/prometheus/node-exporter among such directories; for {directory} add a drop-in (systemctl edit yurtnetd) with [Service] ReadWritePaths=-{directory}";
        }

        return !Directory.Exists(directory) ? $"{directory} does not exist: create it, or set metrics.textfileDir to node_exporter's --collector.textfile.directory" : ex.Message;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The gauges, from what yurtnetctl status reads, just before each scrape or write.</summary>
    private async Task UpdateAsync(CancellationToken cancellationToken)
    {
        var leases = await _keeper.SnapshotAsync(cancellationToken);
        var health = _health.Snapshot();
        _cniReady.Set(health.Cni == "ready" ? 1 : 0);
        _storeWritable.Set(health.Store == "ok" ? 1 : 0);
        _recentFailures.Set(health.RecentFailures);
        foreach (var state in LeaseStates)
        {
            _leases.WithLabels(state).Set(leases.Count(l => Name(l.State) == state));
        }

        var used = leases.GroupBy(l => (l.Network, l.Pool)).ToDictionary(g => new[] { g.Key.Network, g.Key.Pool }, g => (double)g.Count(), LabelsComparer.Instance);
        Replace(_poolUsed, _poolUsedSeries, used);
        var pools = leases.Select(l => l.Pool).Union(_facts.Node?.PodCidrs ?? []).Distinct(StringComparer.Ordinal);
        var sizes = new Dictionary<string[], double>(LabelsComparer.Instance);
        foreach (var pool in pools)
        {
            if (Pool.TryParse(pool, out var parsed, out _))
            {
                sizes[[pool]] = (double)parsed.Capacity;
            }
        }

        Replace(_poolSize, _poolSizeSeries, sizes);
        _spooled.Set(_spool.PendingCount());
        _outbox.Set(_keeper.OutboxCount);
        var peers = _peers.Snapshot().GroupBy(p => p.State == "routed" ? p.Mode : "none").ToDictionary(g => new[] { g.Key }, g => (double)g.Count(), LabelsComparer.Instance);
        Replace(_peerCount, _peerSeries, peers);
        foreach (var state in CloudStates)
        {
            _cloudState.WithLabels(state).Set(health.Cloud == state ? 1 : 0);
        }

        if (_cloud?.LastOnline is { } lastOnline)
        {
            _lastOnline.Set(lastOnline.ToUnixTimeMilliseconds() / 1000.0);
        }
        else
        {
            _lastOnline.Unpublish();
        }
    }

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
