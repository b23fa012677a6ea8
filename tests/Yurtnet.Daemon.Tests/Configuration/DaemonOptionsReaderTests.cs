using Microsoft.Extensions.Configuration;
using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Tests.Configuration;

public sealed class DaemonOptionsReaderTests
{
    private static DaemonOptions Read(out List<string> problems, params (string Key, string Value)[] values) =>
        DaemonOptionsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build(), out problems);

    [Fact]
    public void Empty_configuration_gives_the_documented_defaults()
    {
        var options = Read(out var problems);

        Assert.Empty(problems);
        Assert.Equal("/run/yurtnet/cni.sock", options.Socket);
        Assert.Equal("/var/lib/yurtnet", options.StateDir);
        Assert.Equal("/var/lib/yurtnet/spool", options.SpoolDir);
        Assert.Equal(TimeSpan.FromMinutes(10), options.LeaseHold);
        Assert.Equal([0u], options.AllowedUids);
    }

    [Fact]
    public void Spool_defaults_to_a_folder_of_the_state_dir()
    {
        Assert.Equal("/data/yn/spool", Read(out _, ("stateDir", "/data/yn")).SpoolDir);
    }

    [Theory]
    [InlineData("10m", 600)]
    [InlineData("600s", 600)]
    [InlineData("1h", 3600)]
    [InlineData("1.5m", 90)]
    [InlineData("00:10:00", 600)]
    [InlineData("45", 45)]
    [InlineData("250ms", 0.25)]
    public void Durations_accept_units_and_clock_form(string text, double seconds)
    {
        Assert.True(DaemonOptionsReader.TryParseDuration(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Fact]
    public void Every_bad_key_is_reported_by_name()
    {
        Read(out var problems, ("leaseHold", "ten minutes"), ("socket", "cni.sock"), ("maxConcurrentRequests", "0"), ("logFormat", "xml"), ("allowedUids:0", "root"), ("colour", "blue"));

        Assert.Contains(problems, p => p.StartsWith("leaseHold: \"ten minutes\" is not a duration", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("socket: \"cni.sock\" must be an absolute path", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("maxConcurrentRequests:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("logFormat:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("allowedUids[0]:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("colour: unknown key", StringComparison.Ordinal));
    }

    [Fact]
    public void Watchdog_section_is_read_and_absent_means_no_hardware_watchdog()
    {
        Assert.Null(Read(out _).Watchdog);

        var options = Read(out var problems, ("watchdog:device", "/dev/watchdog1"), ("watchdog:timeout", "20s"), ("watchdog:nowayout", "true"));

        Assert.Empty(problems);
        Assert.Equal(new WatchdogOptions { Device = "/dev/watchdog1", Timeout = TimeSpan.FromSeconds(20), NoWayOut = true }, options.Watchdog);
    }

    [Theory]
    [InlineData("eth0", null)]
    [InlineData("a-name-that-is-too-long", "uplink:")]
    [InlineData("eth/0", "uplink:")]
    public void Uplink_must_be_an_interface_name(string uplink, string? problem)
    {
        var options = Read(out var problems, ("uplink", uplink));

        if (problem is null)
        {
            Assert.Empty(problems);
            Assert.Equal(uplink, options.Uplink);
        }
        else
        {
            Assert.Contains(problems, p => p.StartsWith(problem, StringComparison.Ordinal));
        }
    }

    private static DaemonOptions ReadCluster(out List<string> problems, string? nodeNameVariable, params (string Key, string Value)[] values) =>
        DaemonOptionsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build(), nodeNameVariable, "GW-Host", out problems);

    [Fact]
    public void Without_a_cluster_section_the_daemon_is_standalone()
    {
        Assert.Null(Read(out _).Cluster);
    }

    [Fact]
    public void Cluster_defaults_to_yurthubs_tls_proxy_and_the_host_name_in_lower_case()
    {
        var options = ReadCluster(out var problems, null, ("cluster:caFile", "/etc/kubernetes/pki/ca.crt"), ("cluster:tokenFile", "/etc/yurtnet/token"));

        Assert.Empty(problems);
        Assert.Equal(new ClusterOptions { NodeName = "gw-host", CaFile = "/etc/kubernetes/pki/ca.crt", TokenFile = "/etc/yurtnet/token" }, options.Cluster);
        Assert.Equal("https://169.254.2.1:10268/", options.Cluster!.Server.ToString());
        Assert.Equal("http://127.0.0.1:10267/", options.Cluster.HubManagement.ToString());
        Assert.Equal((5.0, 10), (options.Cluster.Qps, options.Cluster.Burst));
    }

    [Fact]
    public void Node_name_comes_from_the_key_then_NODE_NAME_then_the_host_name()
    {
        (string, string)[] plain = [("cluster:server", "http://127.0.0.1:10261"), ("cluster:tokenFile", "/t")];

        Assert.Equal("from-env", ReadCluster(out _, "from-env", plain).Cluster!.NodeName);
        Assert.Equal("from-key", ReadCluster(out _, "from-env", [.. plain, ("cluster:nodeName", "from-key")]).Cluster!.NodeName);
        Assert.Equal("gw-host", ReadCluster(out _, null, plain).Cluster!.NodeName);
    }

    [Theory]
    [InlineData("cluster:server", "https://169.254.2.1:10268", "cluster.caFile: required for https://169.254.2.1:10268/")]
    [InlineData("cluster:server", "ftp://x", "cluster.server: \"ftp://x\" must be an http or https URL without a path")]
    [InlineData("cluster:nodeName", "Bad_Name", "cluster.nodeName: \"Bad_Name\" is not a Kubernetes node name")]
    [InlineData("cluster:qps", "0", "cluster.qps: \"0\" must be a number of requests per second")]
    [InlineData("cluster:kubeconfig", "/etc/yurtnet/kubeconfig", "cluster.server/tokenFile, kubeconfig and inCluster are alternatives")]
    [InlineData("cluster:watchtimeout", "1s", "cluster.watchtimeout:")]
    [InlineData("cluster:colour", "blue", "cluster.colour: unknown key")]
    public void Bad_cluster_keys_are_named(string key, string value, string problem)
    {
        (string Key, string Value)[] valid = [("cluster:tokenFile", "/t"), ("cluster:server", "http://127.0.0.1:10261")];
        ReadCluster(out var problems, null, [.. valid.Where(v => v.Key != key), (key, value)]);

        Assert.Contains(problems, p => p.StartsWith(problem, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Cluster_without_a_token_is_refused_so_yurthub_never_acts_with_the_nodes_identity()
    {
        ReadCluster(out var problems, null, ("cluster:server", "http://127.0.0.1:10261"));

        Assert.Contains(problems, p => p.StartsWith("cluster.tokenFile: required", StringComparison.Ordinal));
    }

    [Fact]
    public void Leds_are_read_from_the_list()
    {
        var options = Read(out var problems, ("leds:0:name", "pwr"), ("leds:0:role", "power"), ("leds:0:backend", "gpio"), ("leds:0:chip", "pinctrl-bcm2711"), ("leds:0:line", "17"), ("leds:0:activeLow", "true"),
            ("leds:1:name", "spare"), ("leds:1:role", "fault"), ("leds:1:backend", "none"));

        Assert.Empty(problems);
        Assert.Equal(2, options.Leds.Count);
        Assert.Equal(new LedOptions { Name = "pwr", Role = Yurtnet.Daemon.Appliance.Leds.LedRole.Power, Backend = "gpio", Chip = "pinctrl-bcm2711", Line = 17, ActiveLow = true }, options.Leds[0]);
    }

    [Fact]
    public void Gpio_line_may_be_given_by_name_with_or_without_a_chip()
    {
        var options = Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "power"), ("leds:0:line", "LED_PWR"),
            ("leds:1:name", "b"), ("leds:1:role", "fault"), ("leds:1:chip", "gpio-sim.0-node0"), ("leds:1:line", "tb-led"));

        Assert.Empty(problems);
        Assert.Equal((null, "LED_PWR"), (options.Leds[0].Chip, options.Leds[0].LineName));
        Assert.Equal(("gpio-sim.0-node0", "tb-led"), (options.Leds[1].Chip, options.Leds[1].LineName));
    }

    [Fact]
    public void Gpio_line_name_longer_than_the_kernel_allows_is_refused()
    {
        Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "power"), ("leds:0:line", new string('x', 32)));

        Assert.Contains(problems, p => p.StartsWith("leds[0].line:", StringComparison.Ordinal) && p.Contains("31 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void Expander_pin_must_be_a_number()
    {
        Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "power"), ("leds:0:backend", "mcp23xxx"), ("leds:0:line", "LED_PWR"));

        Assert.Contains(problems, p => p.StartsWith("leds[0].line: \"LED_PWR\" must be the pin of the mcp23017 (0-15)", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_led_entries_are_reported_by_index_and_key()
    {
        Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "disco"), ("leds:0:line", "3"),
            ("leds:1:name", "a"), ("leds:1:role", "power"), ("leds:1:backend", "gpio"),
            ("leds:2:name", "c"), ("leds:2:role", "cloud"), ("leds:2:backend", "mcp23xxx"), ("leds:2:model", "mcp9999"), ("leds:2:address", "0x50"), ("leds:2:line", "3"));

        Assert.Contains(problems, p => p.StartsWith("leds[0].role: \"disco\" must be one of", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("leds[1].line:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("leds[2].model: \"mcp9999\" must be mcp23017 or mcp23008", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("leds[2].address: \"0x50\" must be the expander's I2C address", StringComparison.Ordinal));
    }

    [Fact]
    public void Expander_led_reads_model_bus_and_hex_address()
    {
        var options = Read(out var problems, ("leds:0:name", "x"), ("leds:0:role", "activity"), ("leds:0:backend", "mcp23xxx"), ("leds:0:model", "mcp23008"), ("leds:0:bus", "3"), ("leds:0:address", "0x21"), ("leds:0:line", "7"));

        Assert.Empty(problems);
        Assert.Equal(("mcp23008", 3, 0x21, 7), (options.Leds[0].Model, options.Leds[0].Bus, options.Leds[0].Address, options.Leds[0].Line));
    }

    [Fact]
    public void Two_leds_of_one_name_are_refused()
    {
        Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "power"), ("leds:0:backend", "none"), ("leds:1:name", "a"), ("leds:1:role", "fault"), ("leds:1:backend", "none"));

        Assert.Contains("leds[1].name: \"a\" is used twice", problems);
    }

    [Fact]
    public void Bad_watchdog_keys_are_reported_with_their_section()
    {
        Read(out var problems, ("watchdog:timeout", "1s"), ("watchdog:nowayout", "maybe"), ("watchdog:pet", "often"), ("watchdog:device", "watchdog"));

        Assert.Contains(problems, p => p.StartsWith("watchdog.timeout:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("watchdog.nowayout: \"maybe\" must be true or false", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("watchdog.pet: unknown key", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("watchdog.device: \"watchdog\" must be an absolute path", StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_are_case_insensitive_as_environment_overrides_are_upper_case()
    {
        Assert.Equal("/tmp/x.sock", Read(out var problems, ("SOCKET", "/tmp/x.sock")).Socket);
        Assert.Empty(problems);
    }

    [Fact]
    public void Allowed_uids_accept_a_list_or_comma_text()
    {
        Assert.Equal([0u, 1000u], Read(out _, ("allowedUids:0", "0"), ("allowedUids:1", "1000")).AllowedUids);
        Assert.Equal([0u, 7u], Read(out _, ("allowedUids", "0, 7")).AllowedUids);
    }
}
