namespace Yurtnet.Integration.Tests;

/// <summary>DEL as containerd really sends it: up to three times, after a reboot with an empty netns.</summary>
[Trait("requirement", "root")]
public sealed class TeardownTests
{
    [RootFact]
    public async Task Del_twice_succeeds_and_releases_once()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));

        var first = CniRun.Exec("DEL", network.Conf(), "c1", pod.Path);
        var second = CniRun.Exec("DEL", network.Conf(), "c1", pod.Path);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("released 1 lease(s)", first.Stderr, StringComparison.Ordinal);
        Assert.Contains("released 0 lease(s)", second.Stderr, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task Del_with_missing_netns_releases_the_lease()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        var pod = new TestNetns();
        CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));
        var path = pod.Path;
        pod.Dispose();

        var del = CniRun.Exec("DEL", network.Conf(), "c1", path);

        Assert.True(del.ExitCode == 0, del.ToString());
        Assert.Equal("held", Assert.Single(await daemon.LeasesAsync()).State);
    }

    [RootFact]
    public async Task Del_with_empty_netns_and_no_prev_result_releases_the_lease()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        var add = CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));
        var hostVeth = add.Json.GetProperty("interfaces")[1].GetProperty("name").GetString()!;

        var del = CniRun.Exec("DEL", network.Conf(), "c1", netns: "");

        Assert.True(del.ExitCode == 0, del.ToString());
        Assert.Equal("held", Assert.Single(await daemon.LeasesAsync()).State);
        Assert.False(Directory.Exists($"/sys/class/net/{hostVeth}"));
    }

    [RootFact]
    public async Task Add_for_restarted_pod_returns_its_previous_ip()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var first = new TestNetns();
        using var other = new TestNetns();
        var before = CniRun.Exec("ADD", network.Conf(), "sandbox-1", first.Path, args: CniRun.PodArgs("till-0", "shop", "uid-1"));
        CniRun.Exec("DEL", network.Conf(), "sandbox-1", first.Path);
        CniRun.Exec("ADD", network.Conf(), "sandbox-other", other.Path, args: CniRun.PodArgs("other", "shop"));
        using var second = new TestNetns();

        var after = CniRun.Exec("ADD", network.Conf(), "sandbox-2", second.Path, args: CniRun.PodArgs("till-0", "shop", "uid-1"));

        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Equal(before.Json.GetProperty("ips").ToString(), after.Json.GetProperty("ips").ToString());
        CniRun.Exec("DEL", network.Conf(), "sandbox-2", second.Path);
        CniRun.Exec("DEL", network.Conf(), "sandbox-other", other.Path);
    }

    [RootFact]
    public async Task Sixteen_concurrent_adds_get_unique_addresses()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        var pods = Enumerable.Range(0, 16).Select(_ => new TestNetns()).ToList();
        try
        {
            var runs = await Task.WhenAll(pods.Select((pod, i) => Task.Run(() => CniRun.Exec("ADD", network.Conf(), $"c{i}", pod.Path, args: CniRun.PodArgs($"p{i}")))));

            Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.ToString()));
            var addresses = runs.SelectMany(r => r.Json.GetProperty("ips").EnumerateArray().Select(ip => ip.GetProperty("address").GetString())).ToList();
            Assert.Equal(32, addresses.Count);
            Assert.Equal(32, addresses.Distinct().Count());
            Assert.Equal(32, (await daemon.LeasesAsync()).Count(l => l.State == "active"));
            await Task.WhenAll(pods.Select((pod, i) => Task.Run(() => CniRun.Exec("DEL", network.Conf(), $"c{i}", pod.Path))));
        }
        finally
        {
            pods.ForEach(p => p.Dispose());
        }
    }
}
