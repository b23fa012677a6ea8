using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Yurtnet.Integration.Tests;

/// <summary>The published yurtnetd's metrics (NativeAOT), scraped over HTTP and read from the textfile, against yurtnetctl status.</summary>
public sealed class MetricsTests
{
    [RootFact]
    public async Task Metrics_scraped_over_http_and_read_from_the_textfile_match_yurtnetctl_status()
    {
        var port = FreePort();
        var textfiles = Directory.CreateTempSubdirectory("yurtnet-textfile-").FullName;

        // As Debian's /var/lib/prometheus/node-exporter: root's, 0755.
        File.SetUnixFileMode(textfiles, (UnixFileMode)0b111_101_101);
        var textfile = Path.Combine(textfiles, "yurtnet.prom");
        try
        {
            await using var daemon = new DaemonProcess($", \"metrics\": {{ \"listen\": \"127.0.0.1:{port}\", \"textfileDir\": \"{textfiles}\", \"textfileInterval\": \"1s\" }}");
            await daemon.StartWithUnitUmaskAsync();
            using var network = new TestNetwork(daemon, "v4");
            var pods = Enumerable.Range(0, 3).Select(_ => new TestNetns()).ToList();
            try
            {
                for (var i = 0; i < pods.Count; i++)
                {
                    var add = CniRun.Exec("ADD", network.Conf(), $"m{i}", pods[i].Path, args: CniRun.PodArgs($"m{i}"));
                    Assert.True(add.ExitCode == 0, add.ToString());
                }

                Assert.Equal(0, CniRun.Exec("DEL", network.Conf(), "m0", pods[0].Path).ExitCode);
                var ctl = daemon.Ctl("status", "--json");
                Assert.Equal(0, ctl.Code);
                var status = JsonDocument.Parse(ctl.Output).RootElement;
                using var http = new HttpClient();
                var scraped = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));

                AssertMatchesStatus(status, scraped);
                Assert.Equal(3, Sample(scraped, "yurtnet_cni_operations_total", "verb=\"ADD\",result=\"ok\""));
                Assert.Equal(1, Sample(scraped, "yurtnet_cni_operations_total", "verb=\"DEL\",result=\"ok\""));
                Assert.True(Sample(scraped, "yurtnet_store_sync_duration_seconds_count", null) >= 7, "every ADD commits twice and every DEL once, each made durable");

                // The textfile is written every second: once it has the last DEL, it says what the scrape said.
                Assert.True(await Eventually.WaitForAsync(() => File.Exists(textfile) && TrySample(File.ReadAllText(textfile), "yurtnet_cni_operations_total", "verb=\"DEL\",result=\"ok\"") == 1));
                var written = File.ReadAllText(textfile);
                AssertMatchesStatus(status, written);
                Assert.Equal(3, Sample(written, "yurtnet_cni_operations_total", "verb=\"ADD\",result=\"ok\""));

                // node_exporter reads it as its own user (Debian's as prometheus), though yurtnetd runs with UMask=0077.
                var read = TestNetns.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", textfile);
                Assert.True(read.Code == 0, read.Output);
                Assert.Contains("yurtnet_leases", read.Output, StringComparison.Ordinal);

                daemon.Stop();
                Assert.False(File.Exists(textfile), "a stopped yurtnetd's numbers must not look current");
            }
            finally
            {
                pods.ForEach(p => p.Dispose());
            }
        }
        finally
        {
            Directory.Delete(textfiles, recursive: true);
        }
    }

    [RootFact]
    public async Task Metrics_listener_on_a_port_in_use_is_logged_and_pods_still_start()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        await using var daemon = await DaemonProcess.StartAsync($", \"metrics\": {{ \"listen\": \"127.0.0.1:{port}\" }}");
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();

        var add = CniRun.Exec("ADD", network.Conf(), "m1", pod.Path, args: CniRun.PodArgs("m1"));

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.True(await daemon.WaitForLogAsync($"metrics listener on 127.0.0.1:{port} could not start"), daemon.Log);
        Assert.True(daemon.Running);
        Assert.Equal(0, CniRun.Exec("DEL", network.Conf(), "m1", pod.Path).ExitCode);
    }

    [RootFact]
    public async Task Metrics_listen_given_a_port_alone_is_one_loopback_socket_that_answers_whatever_host_is_named()
    {
        var port = FreePort();
        await using var daemon = await DaemonProcess.StartAsync($", \"metrics\": {{ \"listen\": \"{port}\" }}");
        Assert.True(await daemon.WaitForLogAsync($"metrics served on http://127.0.0.1:{port}/metrics"), daemon.Log);

        var listening = TestNetns.Run("ss", "-tlnH", "sport", $"= :{port}").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var http = new HttpClient();
        using var byName = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}/metrics"));
        byName.Headers.Host = $"localhost:{port}";
        using var answer = await http.SendAsync(byName);
        using var elsewhere = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/other"));

        Assert.Matches($@"\s127\.0\.0\.1:{port}\s", Assert.Single(listening));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("yurtnet_build_info", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
    }

    private static void AssertMatchesStatus(JsonElement status, string metrics)
    {
        Assert.Equal(status.GetProperty("active").GetInt32(), Sample(metrics, "yurtnet_leases", "state=\"active\""));
        Assert.Equal(status.GetProperty("pending").GetInt32(), Sample(metrics, "yurtnet_leases", "state=\"pending\""));
        Assert.Equal(status.GetProperty("held").GetInt32(), Sample(metrics, "yurtnet_leases", "state=\"held\""));
        Assert.Equal(status.GetProperty("spooled").GetInt32(), Sample(metrics, "yurtnet_spool_releases", null));
        Assert.Equal(status.GetProperty("outbox").GetInt32(), Sample(metrics, "yurtnet_outbox_entries", null));
        Assert.Equal(1, Sample(metrics, "yurtnet_cloud_state", $"state=\"{status.GetProperty("health").GetProperty("cloud").GetString()}\""));
        Assert.Equal(status.GetProperty("ready").GetBoolean() ? 1 : 0, Sample(metrics, "yurtnet_cni_ready", null));
        var pools = status.GetProperty("pools").EnumerateArray().ToList();
        Assert.NotEmpty(pools);
        foreach (var pool in pools)
        {
            var cidr = pool.GetProperty("pool").GetString();
            Assert.Equal(double.Parse(pool.GetProperty("capacity").GetString()!, CultureInfo.InvariantCulture), Sample(metrics, "yurtnet_pool_size_addresses", $"pool=\"{cidr}\""));
            Assert.Equal(pool.GetProperty("used").GetInt32(), Sample(metrics, "yurtnet_pool_used_addresses", $"network=\"{TestNetworkName(metrics, cidr!)}\",pool=\"{cidr}\""));
        }
    }

    /// <summary>The network label of the pool's used-addresses series (the test network's generated name).</summary>
    private static string TestNetworkName(string metrics, string pool)
    {
        var line = metrics.Split('\n').Single(l => l.StartsWith("yurtnet_pool_used_addresses{", StringComparison.Ordinal) && l.Contains($"pool=\"{pool}\"", StringComparison.Ordinal));
        var start = line.IndexOf("network=\"", StringComparison.Ordinal) + "network=\"".Length;
        return line[start..line.IndexOf('"', start)];
    }

    private static double Sample(string metrics, string name, string? labels) =>
        TrySample(metrics, name, labels) ?? throw new Xunit.Sdk.XunitException($"no sample {name}{{{labels}}} in\n{metrics}");

    private static double? TrySample(string metrics, string name, string? labels)
    {
        var prefix = labels is null ? $"{name} " : $"{name}{{{labels}}} ";
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
