namespace Yurtnet.Integration.Tests;

/// <summary>Every bad invocation gets its CNI error code on stdout, a message naming what to fix, and no stack trace.</summary>
public sealed class BadInputTests
{
    private const string GoodConf = """{"cniVersion":"1.0.0","name":"n","type":"yurtnet","socket":"/nonexistent/cni.sock","daemonWaitSeconds":0.2,"ipam":{"subnets":["10.99.0.0/24"]}}""";

    public static TheoryData<string, Dictionary<string, string?>, string, int, string> Cases() => new()
    {
        { "unknown command", new() { ["CNI_COMMAND"] = "ATTACH" }, GoodConf, 4, "CNI_COMMAND" },
        { "missing command", new() { ["CNI_COMMAND"] = null }, GoodConf, 4, "CNI_COMMAND" },
        { "bad container id", new() { ["CNI_CONTAINERID"] = "-x y" }, GoodConf, 4, "CNI_CONTAINERID" },
        { "empty ifname", new() { ["CNI_IFNAME"] = "" }, GoodConf, 4, "CNI_IFNAME" },
        { "long ifname", new() { ["CNI_IFNAME"] = "eth0123456789012" }, GoodConf, 4, "CNI_IFNAME" },
        { "ifname with slash", new() { ["CNI_IFNAME"] = "a/b" }, GoodConf, 4, "CNI_IFNAME" },
        { "ifname with colon", new() { ["CNI_IFNAME"] = "a:b" }, GoodConf, 4, "CNI_IFNAME" },
        { "ifname with space", new() { ["CNI_IFNAME"] = "a b" }, GoodConf, 4, "CNI_IFNAME" },
        { "missing netns", new() { ["CNI_NETNS"] = "" }, GoodConf, 4, "CNI_NETNS" },
        { "unknown CNI_ARGS key", new() { ["CNI_ARGS"] = "COLOR=blue" }, GoodConf, 4, "COLOR" },
        { "undecodable stdin", new(), "{not json", 6, "not valid JSON" },
        { "unsupported version", new(), GoodConf.Replace("1.0.0", "0.2.0", StringComparison.Ordinal), 1, "0.2.0" },
        { "bad cidr", new(), GoodConf.Replace("10.99.0.0/24", "10.99.0.0/33", StringComparison.Ordinal), 7, "ipam.subnets[0]" },
        { "wrong key type", new(), GoodConf.Replace("\"name\":\"n\"", "\"name\":\"n\",\"mtu\":\"big\"", StringComparison.Ordinal), 7, "mtu" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_returns_its_cni_error_code(string what, Dictionary<string, string?> env, string stdin, int code, string named)
    {
        var run = CniRun.Exec("ADD", null, "c1", "/run/netns/none", env: env, rawStdin: stdin);

        Assert.True(run.ExitCode != 0, $"{what}: {run}");
        Assert.Equal(code, run.ErrorCode);
        Assert.Contains(named, run.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_is_answered_without_the_daemon()
    {
        var run = CniRun.Exec("VERSION", null, rawStdin: """{"cniVersion":"0.4.0"}""");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("0.4.0", run.Json.GetProperty("cniVersion").GetString());
        Assert.Equal(5, run.Json.GetProperty("supportedVersions").GetArrayLength());
    }

    [Fact]
    public void Status_needs_spec_1_1_0()
    {
        var run = CniRun.Exec("STATUS", null, rawStdin: GoodConf);

        Assert.Equal(1, run.ErrorCode);
        Assert.Contains("does not allow STATUS", run.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_with_a_nonexistent_netns_is_code_4_naming_it_before_any_allocation()
    {
        var run = CniRun.Exec("ADD", null, "c1", "/run/netns/does-not-exist", rawStdin: GoodConf);

        Assert.Equal(4, run.ErrorCode);
        Assert.Contains("CNI_NETNS /run/netns/does-not-exist: no such network namespace", run.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_into_the_plugins_own_network_namespace_is_refused_with_code_8()
    {
        var run = CniRun.Exec("ADD", null, "c1", $"/proc/{Environment.ProcessId}/ns/net", rawStdin: GoodConf);

        Assert.Equal(8, run.ErrorCode);
        Assert.Contains("is the plugin's own network namespace", run.ErrorMessage, StringComparison.Ordinal);
    }

    [RootFact]
    public void Del_naming_the_plugins_own_network_namespace_leaves_its_interface_alone_and_still_releases()
    {
        // The namespace stands in for the host: the plugin runs in it, and its eth0 is the "host's" uplink.
        using var host = new TestNetns("ytown");
        Assert.Equal(0, host.Exec("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "uplink").Code);
        var spool = Directory.CreateTempSubdirectory("yurtnet-own-").FullName;
        try
        {
            var conf = GoodConf.Replace("\"daemonWaitSeconds\"", $"\"spoolDir\":\"{spool}\",\"daemonWaitSeconds\"", StringComparison.Ordinal);

            var run = CniRun.Exec("DEL", null, "c1", host.Path, rawStdin: conf, inNetns: host.Name);

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("own network namespace: nothing is removed from it", run.Stderr, StringComparison.Ordinal);
            Assert.Equal(0, host.Exec("ip", "link", "show", "eth0").Code);
            Assert.Single(Directory.GetFiles(spool, "*.json"));
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }
}
