using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Metrics;

/// <summary>
/// yurtnetd's metrics in the Prometheus text format, on an HTTP listener (<c>metrics.listen</c>) and in a node_exporter
/// textfile (<c>metrics.textfileDir</c>), when either is set; when neither is, nothing of it is made. Counters and
/// histograms are the components' System.Diagnostics.Metrics instruments (<see cref="MeterBridge"/>); the gauges
/// (<see cref="StatusGauges"/>) are read at each collection from the same sources as <c>yurtnetctl status</c>, in
/// memory: a scrape never writes the store and never waits for the cloud. Neither output can stop yurtnetd: a port in
/// use or a directory it may not write is logged, with what to do, and tried again.
/// </summary>
internal sealed partial class MetricsExporter : BackgroundService
{
    /// <summary>How long after a failed start the listener is tried again.</summary>
    internal static readonly TimeSpan ListenRetry = TimeSpan.FromSeconds(30);

    /// <summary>Scrapes collected at once; more get 503 (a flood cannot pile up collections).</summary>
    private const int ConcurrentScrapes = 4;

    /// <summary>Scrapers connected at once (each for at most <see cref="ScrapeDeadline"/>).</summary>
    private const int MaxConnections = 16;

    private readonly MetricsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MetricsExporter> _logger;
    private readonly CollectorRegistry? _registry;
    private readonly MeterBridge? _bridge;
    private readonly SemaphoreSlim _scrapes = new(ConcurrentScrapes, ConcurrentScrapes);
    private string? _textfileProblem;
    private int _connections;

    public MetricsExporter(MetricsOptions options, IMeterFactory meters, LeaseKeeper keeper, SpoolDrain spool, PeerNetwork peers, ClusterFacts facts, HealthModel health, TimeProvider time, ILogger<MetricsExporter> logger, CloudHealth? cloud = null)
    {
        (_options, _time, _logger) = (options, time, logger);
        if (!options.Enabled)
        {
            return;
        }

        _registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        _bridge = new MeterBridge(meters, factory);
        var bridge = _bridge;
        Gauges = new StatusGauges(factory, keeper, spool, peers, facts, health, cloud, () => bridge.Dropped);
        DotNetStats.Register(_registry);
        _registry.AddBeforeCollectCallback(Gauges.UpdateAsync);
    }

    /// <summary>The registry scraped and written (null when metrics are off), for tests.</summary>
    internal CollectorRegistry? Registry => _registry;

    /// <summary>The gauges (null when metrics are off), for tests.</summary>
    internal StatusGauges? Gauges { get; }

    /// <summary>Why the textfile could not be written the last time, or null when it was.</summary>
    internal string? TextfileProblem => Volatile.Read(ref _textfileProblem);

    /// <summary>The path of the textfile, or null.</summary>
    internal string? TextfilePath => _options.TextfileDir is { } dir ? Path.Combine(dir, MetricsOptions.TextfileName) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_registry is null)
        {
            return;
        }

        var serving = _options.Listen is { } listen ? ServeAsync(_registry, listen, stoppingToken) : Task.CompletedTask;
        var writing = _options.TextfileDir is { } dir ? WriteTextfileAsync(_registry, dir, stoppingToken) : Task.CompletedTask;
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
        Gauges?.Dispose();
        _scrapes.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// The listener: a socket bound to exactly the address given (<c>[::]</c> dual-stack, so every address of both
    /// families), answering <c>GET /metrics</c> whatever Host the scraper names. HttpListener was not used: its
    /// prefixes bind a second socket for a second name (<c>localhost</c> on <c>::1</c>) and refuse every other Host.
    /// </summary>
    private async Task ServeAsync(CollectorRegistry registry, IPEndPoint listen, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            using var listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (listen.Address.Equals(IPAddress.IPv6Any))
                {
                    listener.DualMode = true;
                }

                listener.Bind(listen);
                listener.Listen(16);
            }
            catch (SocketException ex)
            {
                LogListenFailed(_logger, listen.ToString(), ex.Message, ListenRetry.TotalSeconds);
                await Task.Delay(ListenRetry, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            LogListening(_logger, $"http://{listen}/metrics");
            while (!stoppingToken.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SocketException)
                {
                    // Out of descriptors, say: a moment, then on.
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                if (Interlocked.Increment(ref _connections) > MaxConnections)
                {
                    // A flood of scrapers: the extra ones are shut at once, never piled up (their descriptors are the CNI socket's too).
                    Interlocked.Decrement(ref _connections);
                    client.Dispose();
                    continue;
                }

                _ = AnswerAsync(registry, client, stoppingToken);
            }
        }
    }

    /// <summary>One scrape: the request's head (within <see cref="ScrapeDeadline"/>, at most 8 KiB), then the text, then close.</summary>
    private async Task AnswerAsync(CollectorRegistry registry, Socket client, CancellationToken stoppingToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(ScrapeDeadline);
        await using var stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            var (method, target) = await ReadRequestAsync(stream, deadline.Token);
            if (method is null)
            {
                await RespondAsync(stream, "400 Bad Request", [], deadline.Token);
                return;
            }

            if (method is not ("GET" or "HEAD") || target?.Split('?')[0].TrimEnd('/') != "/metrics")
            {
                await RespondAsync(stream, "404 Not Found", [], deadline.Token);
                return;
            }

            if (!await _scrapes.WaitAsync(0, deadline.Token))
            {
                await RespondAsync(stream, "503 Service Unavailable", [], deadline.Token);
                return;
            }

            try
            {
                using var text = new MemoryStream();
                await registry.CollectAndExportAsTextAsync(text, deadline.Token);
                await RespondAsync(stream, "200 OK", method == "HEAD" ? [] : text.ToArray(), deadline.Token, text.Length);
            }
            finally
            {
                _scrapes.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The scraper went away or was too slow, or yurtnetd is stopping.
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    }

    /// <summary>How long one scrape may take, from its connection to its last byte.</summary>
    internal static readonly TimeSpan ScrapeDeadline = TimeSpan.FromSeconds(10);

    /// <summary>The request line's method and target, once the head is in; nulls for anything that is not HTTP/1.x.</summary>
    private static async Task<(string? Method, string? Target)> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var head = new byte[8192];
        var length = 0;
        while (length < head.Length)
        {
            var read = await stream.ReadAsync(head.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (head.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                var line = System.Text.Encoding.ASCII.GetString(head, 0, head.AsSpan(0, length).IndexOf("\r\n"u8)).Split(' ');
                return line.Length == 3 && line[2].StartsWith("HTTP/1.", StringComparison.Ordinal) ? (line[0], line[1]) : (null, null);
            }
        }

        return (null, null);
    }

    private static async Task RespondAsync(NetworkStream stream, string status, byte[] body, CancellationToken cancellationToken, long? length = null)
    {
        var head = $"HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {length ?? body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head), cancellationToken);
        await stream.WriteAsync(body, cancellationToken);
    }

    private async Task WriteTextfileAsync(CollectorRegistry registry, string directory, CancellationToken stoppingToken)
    {
        var path = Path.Combine(directory, MetricsOptions.TextfileName);
        var temporary = Path.Combine(directory, $".{MetricsOptions.TextfileName}.{Environment.ProcessId}");
        RemoveLeftovers(directory);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Written aside and renamed: node_exporter reads *.prom and never sees half a file. Readable by its
                // user (Debian's runs as prometheus), whatever the unit's UMask.
                await using (var file = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = TextfileMode }))
                {
                    await registry.CollectAndExportAsTextAsync(file, stoppingToken);
                }

                File.SetUnixFileMode(temporary, TextfileMode);
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

    private const UnixFileMode TextfileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Temporary files of an earlier yurtnetd that was killed while writing.</summary>
    private static void RemoveLeftovers(string directory)
    {
        try
        {
            foreach (var leftover in Directory.EnumerateFiles(directory, $".{MetricsOptions.TextfileName}.*"))
            {
                TryDelete(leftover);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>What went wrong, and what to do about it.</summary>
    private static string Explain(string path, Exception ex)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            return $"{directory} does not exist: create it, or set metrics.textfileDir to node_exporter's --collector.textfile.directory";
        }

        if (ex.HResult == Interop.EROFS)
        {
            return $"{ex.Message}: the unit lets yurtnetd write only /var/lib/prometheus/node-exporter among such directories; for {directory} add a drop-in (systemctl edit yurtnetd) with [Service] ReadWritePaths=-{directory}";
        }

        return ex is UnauthorizedAccessException
            ? $"{ex.Message}: yurtnetd runs as root without CAP_DAC_OVERRIDE, so it writes only where root may by the file modes: chown root {directory} (node_exporter needs only to read it)"
            : ex.Message;
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
}
