using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using Yurtnet.Daemon.Metrics;
using Yurtnet.Daemon.Tests.CniApi;
using Yurtnet.Daemon.Tests.Configuration;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.Metrics;

/// <summary>The metrics section, the bridge from System.Diagnostics.Metrics, and what a scrape says after real requests.</summary>
public sealed partial class MetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Metrics_are_off_unless_a_listener_or_a_textfile_is_set()
    {
        var options = SettingsFile.Read(out var problems);

        Assert.Empty(problems);
        Assert.False(options.Metrics.Enabled);
        Assert.Null(options.Metrics.Listen);
        Assert.Null(options.Metrics.TextfileDir);
    }

    [Theory]
    [InlineData("9464", "127.0.0.1", 9464)]
    [InlineData("127.0.0.1:9464", "127.0.0.1", 9464)]
    [InlineData("[::1]:9464", "::1", 9464)]
    [InlineData("0.0.0.0:19464", "0.0.0.0", 19464)]
    public void Listen_takes_an_address_and_a_port(string text, string address, int port)
    {
        var options = SettingsFile.Read(out var problems, ("metrics:listen", text));

        Assert.Empty(problems);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), options.Metrics.Listen);
        Assert.True(options.Metrics.Enabled);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("127.0.0.1")]
    [InlineData("localhost:9464")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("::1")]
    public void Listen_without_an_ip_address_and_port_is_refused_with_an_example(string text)
    {
        SettingsFile.Read(out var problems, ("metrics:listen", text));

        var problem = Assert.Single(problems);
        Assert.StartsWith("metrics.listen: ", problem, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9464", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Textfile_needs_an_absolute_directory_and_a_sane_interval()
    {
        SettingsFile.Read(out var problems, ("metrics:textfileDir", "textfiles"), ("metrics:textfileInterval", "10ms"), ("metrics:port", "1"));

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("metrics.textfileDir: ", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("metrics.textfileInterval: ", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("metrics.port", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bridge_exports_counters_as_counters_and_histograms_with_the_buckets_their_instrument_advises()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var bridge = new MeterBridge(meters, Prometheus.Metrics.WithCustomRegistry(registry));
        var meter = meters.Create("Yurtnet.Test");
        var counter = meter.CreateCounter<long>("yurtnet_things_total", description: "things done");
        var histogram = meter.CreateHistogram("yurtnet_thing_duration_seconds", unit: "s", description: "how long", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        var untagged = meter.CreateHistogram<double>("yurtnet_plain_seconds");

        counter.Add(2, new KeyValuePair<string, object?>("kind", "a"));
        counter.Add(1, new KeyValuePair<string, object?>("kind", "a"));
        histogram.Record(0.5, new KeyValuePair<string, object?>("kind", "b"));
        untagged.Record(3);
        var text = await ScrapeAsync(registry);

        Assert.Contains("# TYPE yurtnet_things_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# HELP yurtnet_things_total things done\n", text, StringComparison.Ordinal);
        Assert.Equal(3, Sample(text, "yurtnet_things_total", "kind=\"a\""));
        Assert.Contains("# TYPE yurtnet_thing_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Equal(0, Sample(text, "yurtnet_thing_duration_seconds_bucket", "kind=\"b\",le=\"0.1\""));
        Assert.Equal(1, Sample(text, "yurtnet_thing_duration_seconds_bucket", "kind=\"b\",le=\"1\""));
        Assert.Equal(1, Sample(text, "yurtnet_plain_seconds_count", null));
    }

    [Fact]
    public async Task Bridge_takes_only_this_daemons_meters()
    {
        using var ours = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var theirs = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var bridge = new MeterBridge(ours.GetRequiredService<IMeterFactory>(), Prometheus.Metrics.WithCustomRegistry(registry));
        using var unscoped = new Meter("Yurtnet.Test");

        theirs.GetRequiredService<IMeterFactory>().Create("Yurtnet.Test").CreateCounter<long>("yurtnet_theirs_total").Add(1);
        unscoped.CreateCounter<long>("yurtnet_unscoped_total").Add(1);
        ours.GetRequiredService<IMeterFactory>().Create("Other.Library").CreateCounter<long>("other_total").Add(1);
        var text = await ScrapeAsync(registry);

        Assert.Equal(0, bridge.Carried);
        Assert.DoesNotContain("yurtnet_theirs_total", text, StringComparison.Ordinal);
        Assert.DoesNotContain("yurtnet_unscoped_total", text, StringComparison.Ordinal);
        Assert.DoesNotContain("other_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_instrument_of_the_daemon_is_named_as_Prometheus_wants()
    {
        var names = new List<(string Name, string? Unit, string Type)>();
        await using var daemon = new DaemonHarness();
        var meters = daemon.Get<IMeterFactory>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    names.Add((instrument.Name, instrument.Unit, instrument.GetType().Name));
                }
            },
        };
        _ = daemon.Get<Yurtnet.Daemon.CniApi.CniOperationMetrics>();
        _ = daemon.Keeper;
        _ = daemon.Health;
        listener.Start();

        Assert.Contains(names, n => n.Name == "yurtnet_cni_operations_total");
        Assert.Contains(names, n => n.Name == "yurtnet_store_sync_duration_seconds");
        Assert.Contains(names, n => n.Name == "yurtnet_watchdog_keepalives_total");
        Assert.All(names, n => Assert.Matches("^yurtnet_[a-z0-9_]+$", n.Name));
        Assert.All(names.Where(n => n.Type.StartsWith("Counter", StringComparison.Ordinal)), n => Assert.EndsWith("_total", n.Name, StringComparison.Ordinal));
        Assert.All(names.Where(n => n.Unit == "s"), n => Assert.EndsWith("_seconds", n.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scrape_counts_each_cni_operation_once_by_verb_and_result_and_matches_status()
    {
        await using var daemon = new DaemonHarness(o => o with { Metrics = new MetricsOptions { TextfileDir = "/nonexistent-not-started" } });
        var exporter = daemon.Get<MetricsExporter>();
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));

        foreach (var container in new[] { "c1", "c2", "c3" })
        {
            Assert.IsType<AllocateResponse>(client.Send(Allocate(container), Timeout));
            Assert.IsType<CommitResponse>(client.Send(new CommitRequest { ContainerId = container, IfName = "eth0", Network = "edge" }, Timeout));
        }

        Assert.IsType<ReleaseResponse>(client.Send(new ReleaseRequest { ContainerId = "c1", IfName = "eth0", Network = "edge" }, Timeout));
        Assert.IsType<AllocateResponse>(client.Send(Allocate("c4"), Timeout));
        Assert.IsType<ReleaseResponse>(client.Send(new ReleaseRequest { ContainerId = "c4", IfName = "eth0", Network = "edge", Rollback = true }, Timeout));
        Assert.IsType<ErrorResponse>(client.Send(Allocate("c5") with { Subnets = ["10.99.0.0/33"] }, Timeout));
        Assert.IsType<CheckResponse>(client.Send(new CheckRequest { ContainerId = "c2", IfName = "eth0", Network = "edge" }, Timeout));
        Assert.IsType<StatusResponse>(client.Send(new StatusRequest { Network = "edge", Subnets = ["10.22.0.0/24"] }, Timeout));
        var status = Assert.IsType<StatusResponse>(client.Send(new StatusRequest(), Timeout));
        var text = await ScrapeAsync(exporter.Registry!);

        Assert.Equal(3, Sample(text, "yurtnet_cni_operations_total", "verb=\"ADD\",result=\"ok\""));
        Assert.Equal(1, Sample(text, "yurtnet_cni_operations_total", "verb=\"ADD\",result=\"rolled_back\""));
        Assert.Equal(1, Sample(text, "yurtnet_cni_operations_total", "verb=\"ADD\",result=\"invalid_request\""));
        Assert.Equal(1, Sample(text, "yurtnet_cni_operations_total", "verb=\"DEL\",result=\"ok\""));
        Assert.Equal(1, Sample(text, "yurtnet_cni_operations_total", "verb=\"CHECK\",result=\"ok\""));
        Assert.Equal(1, Sample(text, "yurtnet_cni_operations_total", "verb=\"STATUS\",result=\"ok\""));
        Assert.Equal(5, Sample(text, "yurtnet_cni_operation_duration_seconds_count", "verb=\"ADD\""));
        Assert.Equal(0, daemon.Get<Yurtnet.Daemon.CniApi.CniOperationMetrics>().AddsInProgress);
        Assert.Equal(status.Active, Sample(text, "yurtnet_leases", "state=\"active\""));
        Assert.Equal(status.Held, Sample(text, "yurtnet_leases", "state=\"held\""));
        Assert.Equal(status.Pending, Sample(text, "yurtnet_leases", "state=\"pending\""));
        Assert.Equal(status.Spooled, Sample(text, "yurtnet_spool_releases", null));
        Assert.Equal(status.Outbox, Sample(text, "yurtnet_outbox_entries", null));
        foreach (var pool in status.Pools)
        {
            Assert.Equal(double.Parse(pool.Capacity, CultureInfo.InvariantCulture), Sample(text, "yurtnet_pool_size_addresses", $"pool=\"{pool.Pool}\""));
            Assert.Equal(pool.Used, SumOf(text, "yurtnet_pool_used_addresses", $"pool=\"{pool.Pool}\""));
        }

        Assert.Equal(1, Sample(text, "yurtnet_cloud_state", "state=\"standalone\""));
        Assert.Equal(1, Sample(text, "yurtnet_cni_ready", null));
        Assert.DoesNotContain("\nyurtnet_cloud_last_online_timestamp_seconds ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_metrics_off_nothing_of_the_export_is_made()
    {
        await using var daemon = new DaemonHarness();

        var exporter = daemon.Get<MetricsExporter>();

        Assert.Null(exporter.Registry);
        Assert.Null(exporter.Gauges);
    }

    [Fact]
    public async Task Collections_at_the_same_time_as_leases_come_and_go_keep_every_gauge_right()
    {
        await using var daemon = new DaemonHarness(o => o with { Metrics = new MetricsOptions { TextfileDir = "/nonexistent-not-started" } });
        var exporter = daemon.Get<MetricsExporter>();
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));

        var scrapes = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await ScrapeAsync(exporter.Registry!);
            }
        })).ToList();
        for (var i = 0; i < 20; i++)
        {
            var pool = $"10.{30 + (i % 5)}.0.0/24";
            Assert.IsType<AllocateResponse>(client.Send(Allocate($"c{i}") with { Subnets = [pool] }, Timeout));
            Assert.IsType<ReleaseResponse>(client.Send(new ReleaseRequest { ContainerId = $"c{i}", IfName = "eth0", Network = "edge", Rollback = i % 2 == 0 }, Timeout));
        }

        Assert.IsType<AllocateResponse>(client.Send(Allocate("gone") with { Subnets = ["10.39.0.0/24"] }, Timeout));
        await ScrapeAsync(exporter.Registry!);
        Assert.IsType<ReleaseResponse>(client.Send(new ReleaseRequest { ContainerId = "gone", IfName = "eth0", Network = "edge", Rollback = true }, Timeout));
        await Task.WhenAll(scrapes);
        var text = await ScrapeAsync(exporter.Registry!);

        Assert.Equal(0, exporter.Gauges!.Failures);
        Assert.Equal(0, Sample(text, "yurtnet_metrics_problems_total", "problem=\"update_failed\""));
        Assert.Equal(0, Sample(text, "yurtnet_metrics_problems_total", "problem=\"measurement_dropped\""));
        Assert.Equal(10, Sample(text, "yurtnet_leases", "state=\"held\""));
        Assert.Equal(10, SumOf(text, "yurtnet_pool_used_addresses", "network=\"edge\""));
        Assert.DoesNotContain("10.39.0.0/24", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listener_holds_at_most_sixteen_scrapers_and_shuts_the_rest_at_once_then_serves_again()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var daemon = new DaemonHarness(o => o with { Metrics = new MetricsOptions { Listen = new IPEndPoint(IPAddress.Loopback, port) } });
        var exporter = daemon.Get<MetricsExporter>();
        await daemon.StartAsync();
        await exporter.StartAsync(CancellationToken.None);
        using var http = new HttpClient();
        Assert.True(await Eventually.WaitForAsync(() => Scraped(http, port)));
        var silent = new List<System.Net.Sockets.Socket>();
        try
        {
            // Sixteen that connect and say nothing hold their places (each for at most 10 s).
            for (var i = 0; i < 16; i++)
            {
                var s = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await s.ConnectAsync(IPAddress.Loopback, port);
                silent.Add(s);
            }

            using var extra = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await extra.ConnectAsync(IPAddress.Loopback, port);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var read = await extra.ReceiveAsync(new byte[16], System.Net.Sockets.SocketFlags.None, wait.Token);

            Assert.Equal(0, read);
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }

        Assert.True(await Eventually.WaitForAsync(() => Scraped(http, port)));
        await exporter.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Pool_series_that_no_lease_uses_any_more_are_removed()
    {
        await using var daemon = new DaemonHarness(o => o with { Metrics = new MetricsOptions { TextfileDir = "/nonexistent-not-started" } });
        var exporter = daemon.Get<MetricsExporter>();
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        Assert.IsType<AllocateResponse>(client.Send(Allocate("c1"), Timeout));
        Assert.Contains("pool=\"10.22.0.0/24\"", await ScrapeAsync(exporter.Registry!), StringComparison.Ordinal);

        Assert.IsType<ReleaseResponse>(client.Send(new ReleaseRequest { ContainerId = "c1", IfName = "eth0", Network = "edge", Rollback = true }, Timeout));
        var text = await ScrapeAsync(exporter.Registry!);

        Assert.DoesNotContain("pool=\"10.22.0.0/24\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Textfile_is_written_at_each_interval_atomically_and_removed_at_a_clean_stop()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T12:00:00Z", CultureInfo.InvariantCulture));
        var dir = System.IO.Directory.CreateTempSubdirectory("yurtnet-textfile-").FullName;
        try
        {
            await using var daemon = new DaemonHarness(o => o with { Metrics = new MetricsOptions { TextfileDir = dir, TextfileInterval = TimeSpan.FromSeconds(30) } }, time);
            var exporter = daemon.Get<MetricsExporter>();
            await daemon.StartAsync();
            await exporter.StartAsync(CancellationToken.None);
            var path = Path.Combine(dir, "yurtnet.prom");
            Assert.True(await Eventually.WaitForAsync(() => File.Exists(path)));
            using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
            Assert.IsType<AllocateResponse>(client.Send(Allocate("c1"), Timeout));
            Assert.IsType<CommitResponse>(client.Send(new CommitRequest { ContainerId = "c1", IfName = "eth0", Network = "edge" }, Timeout));
            Assert.Equal(0, Sample(File.ReadAllText(path), "yurtnet_leases", "state=\"active\""));

            time.Advance(TimeSpan.FromSeconds(30));

            Assert.True(await Eventually.WaitForAsync(() => Sample(File.ReadAllText(path), "yurtnet_leases", "state=\"active\"") == 1));

            // node_exporter reads it as its own user (Debian's runs as prometheus), whatever yurtnetd's umask.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
            Assert.Equal(["yurtnet.prom"], System.IO.Directory.GetFiles(dir).Select(Path.GetFileName));
            await exporter.StopAsync(CancellationToken.None);
            Assert.False(File.Exists(path));
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Textfile_directory_that_is_missing_is_named_in_the_log_and_nothing_else_fails()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"yurtnet-no-such-{Guid.NewGuid():N}");
        await using var daemon = new DaemonHarness(o => o with { Metrics = new MetricsOptions { TextfileDir = dir } });
        var exporter = daemon.Get<MetricsExporter>();
        await daemon.StartAsync();

        await exporter.StartAsync(CancellationToken.None);
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));

        Assert.IsType<AllocateResponse>(client.Send(Allocate("c1"), Timeout));
        Assert.True(await Eventually.WaitForAsync(() => exporter.TextfileProblem is not null));
        Assert.Equal($"{dir} does not exist: create it, or set metrics.textfileDir to node_exporter's --collector.textfile.directory", exporter.TextfileProblem);
        Assert.False(exporter.ExecuteTask!.IsCompleted);
        await exporter.StopAsync(CancellationToken.None);
    }

    /// <summary>Whether a scrape of the listener answers 200 now (false while it does not listen yet).</summary>
    private static bool Scraped(HttpClient http, int port)
    {
        try
        {
            using var answer = http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics")).GetAwaiter().GetResult();
            return answer.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static AllocateRequest Allocate(string container) => new()
    {
        ContainerId = container,
        IfName = "eth0",
        Network = "edge",
        Pod = new PodRef { Namespace = "shop", Name = container },
        Subnets = ["10.22.0.0/24"],
    };

    private static async Task<string> ScrapeAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels are exactly <paramref name="labels"/>.</summary>
    internal static double Sample(string text, string name, string? labels)
    {
        var line = labels is null ? $"{name} " : $"{name}{{{labels}}} ";
        var found = text.Split('\n').Where(l => l.StartsWith(line, StringComparison.Ordinal)).ToList();
        Assert.True(found.Count == 1, $"{line.Trim()}: {found.Count} samples in\n{text}");
        return double.Parse(found[0][line.Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>The sum of the samples of <paramref name="name"/> that have the label <paramref name="label"/>.</summary>
    internal static double SumOf(string text, string name, string label) =>
        text.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
