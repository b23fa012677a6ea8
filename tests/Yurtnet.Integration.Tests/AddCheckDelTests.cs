using System.Text.Json.Nodes;
using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>The main path, per spec version and address family, through the real plugin and daemon.</summary>
[Trait("requirement", "root")]
public sealed class AddCheckDelTests
{
    public static TheoryData<string, string> VersionsAndFamilies()
    {
        var data = new TheoryData<string, string>();
        foreach (var version in new[] { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" })
        {
            foreach (var family in new[] { "v4", "v6", "dual" })
            {
                data.Add(version, family);
            }
        }

        return data;
    }

    [RootTheory]
    [MemberData(nameof(VersionsAndFamilies))]
    public async Task Add_check_del_per_version_and_family(string version, string family)
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, family, version);
        using var pod = new TestNetns();
        var conf = network.Conf();

        var add = CniRun.Exec("ADD", conf, "c-main", pod.Path, args: CniRun.PodArgs("web-0"));

        Assert.True(add.ExitCode == 0, add.ToString());
        var result = add.Json;
        Assert.Equal(version, result.GetProperty("cniVersion").GetString());
        var ips = result.GetProperty("ips").EnumerateArray().ToList();
        Assert.Equal(family == "dual" ? 2 : 1, ips.Count);
        Assert.All(ips, ip => Assert.Equal(string.CompareOrdinal(version, "1.0.0") < 0, ip.TryGetProperty("version", out _)));
        var podAddresses = pod.Exec("ip", "-o", "addr", "show", "dev", "eth0").Output;
        foreach (var ip in ips)
        {
            var address = ip.GetProperty("address").GetString()!;
            Assert.Contains(address, podAddresses, StringComparison.Ordinal);
            var gateway = ip.GetProperty("gateway").GetString()!;
            var ping = pod.Exec("ping", "-c1", "-W2", gateway);
            Assert.True(ping.Code == 0, $"ping {gateway}: {ping.Output}");
        }

        if (string.CompareOrdinal(version, "0.4.0") >= 0)
        {
            var withPrev = conf.DeepClone().AsObject();
            withPrev["prevResult"] = JsonNode.Parse(add.Stdout);
            var check = CniRun.Exec("CHECK", withPrev, "c-main", pod.Path);
            Assert.True(check.ExitCode == 0, check.ToString());
        }
        else
        {
            var check = CniRun.Exec("CHECK", conf, "c-main", pod.Path);
            Assert.Equal(1, check.ErrorCode);
        }

        var del = CniRun.Exec("DEL", conf, "c-main", pod.Path);

        Assert.True(del.ExitCode == 0, del.ToString());
        Assert.Equal("", del.Stdout);
        Assert.NotEqual(0, pod.Exec("ip", "link", "show", "eth0").Code);
        Assert.All(await daemon.LeasesAsync(), l => Assert.Equal("held", l.State));
    }

    [RootFact]
    public async Task Two_pods_reach_each_other_over_both_families()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var a = new TestNetns();
        using var b = new TestNetns();
        var addA = CniRun.Exec("ADD", network.Conf(), "c-a", a.Path, args: CniRun.PodArgs("a"));
        var addB = CniRun.Exec("ADD", network.Conf(), "c-b", b.Path, args: CniRun.PodArgs("b"));
        Assert.True(addA.ExitCode == 0 && addB.ExitCode == 0, addA + "\n" + addB);

        foreach (var ip in addB.Json.GetProperty("ips").EnumerateArray())
        {
            var target = ip.GetProperty("address").GetString()!.Split('/')[0];
            var ping = a.Exec("ping", "-c1", "-W2", target);
            Assert.True(ping.Code == 0, $"ping {target}: {ping.Output}");
        }

        CniRun.Exec("DEL", network.Conf(), "c-a", a.Path);
        CniRun.Exec("DEL", network.Conf(), "c-b", b.Path);
    }

    [RootFact]
    public async Task Check_reports_a_missing_address_as_a_mismatch()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        var add = CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));
        var address = add.Json.GetProperty("ips")[0].GetProperty("address").GetString()!;
        pod.Exec("ip", "addr", "del", address, "dev", "eth0");
        var withPrev = network.Conf(c => c["prevResult"] = JsonNode.Parse(add.Stdout));

        var check = CniRun.Exec("CHECK", withPrev, "c1", pod.Path);

        Assert.Equal(101, check.ErrorCode);
        Assert.True(check.ErrorMessage.Contains($"address {address} is missing on eth0", StringComparison.Ordinal), check.ErrorMessage);
        CniRun.Exec("DEL", network.Conf(), "c1", pod.Path);
    }

    [RootFact]
    public async Task Second_network_of_a_pod_reports_only_the_routes_it_installed_and_check_agrees_with_its_add()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var first = new TestNetwork(daemon, "v4");
        using var second = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        const string container = "two-networks-0123456789abcdef0123";

        var addFirst = CniRun.Exec("ADD", first.Conf(), container, pod.Path, "eth0", CniRun.PodArgs("p"));
        var addSecond = CniRun.Exec("ADD", second.Conf(), container, pod.Path, "net1", CniRun.PodArgs("p"));

        Assert.True(addSecond.ExitCode == 0, addSecond.ToString());
        Assert.Contains(addFirst.Json.GetProperty("routes").EnumerateArray(), r => r.GetProperty("dst").GetString() == "0.0.0.0/0");
        Assert.DoesNotContain(addSecond.Json.GetProperty("routes").EnumerateArray(), r => r.GetProperty("dst").GetString() == "0.0.0.0/0");
        Assert.Contains("already routes 0.0.0.0/0 through another interface", addSecond.Stderr, StringComparison.Ordinal);
        Assert.Contains("dev eth0", pod.Exec("ip", "route", "show", "default").Output, StringComparison.Ordinal);

        var checkSecond = CniRun.Exec("CHECK", second.Conf(c => c["prevResult"] = JsonNode.Parse(addSecond.Stdout)), container, pod.Path, "net1");
        var checkFirst = CniRun.Exec("CHECK", first.Conf(c => c["prevResult"] = JsonNode.Parse(addFirst.Stdout)), container, pod.Path, "eth0");
        Assert.True(checkSecond.ExitCode == 0, checkSecond.ToString());
        Assert.True(checkFirst.ExitCode == 0, checkFirst.ToString());

        // A repeated ADD of the first network finds its own default route: still reported.
        var again = CniRun.Exec("ADD", first.Conf(), container, pod.Path, "eth0", CniRun.PodArgs("p"));
        Assert.Contains(again.Json.GetProperty("routes").EnumerateArray(), r => r.GetProperty("dst").GetString() == "0.0.0.0/0");
        CniRun.Exec("DEL", second.Conf(), container, pod.Path, "net1");
        CniRun.Exec("DEL", first.Conf(), container, pod.Path, "eth0");
    }

    [RootFact]
    public async Task Repeated_add_returns_the_same_addresses()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();

        var first = CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));
        var second = CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(first.Json.GetProperty("ips").ToString(), second.Json.GetProperty("ips").ToString());
        Assert.Equal(2, (await daemon.LeasesAsync()).Count);
        CniRun.Exec("DEL", network.Conf(), "c1", pod.Path);
    }

    [RootFact]
    public async Task Status_and_gc_of_spec_1_1_0()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var keep = new TestNetns();
        using var gone = new TestNetns();
        CniRun.Exec("ADD", network.Conf(), "c-keep", keep.Path, args: CniRun.PodArgs("keep"));
        CniRun.Exec("ADD", network.Conf(), "c-gone", gone.Path, args: CniRun.PodArgs("gone"));

        var status = CniRun.Exec("STATUS", network.Conf());
        var gc = CniRun.Exec("GC", network.Conf(c => c["cni.dev/valid-attachments"] = new JsonArray(new JsonObject { ["containerID"] = CniRun.ContainerId("c-keep", network.Conf()), ["ifname"] = "eth0" })));

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.True(gc.ExitCode == 0, gc.ToString());
        var leases = await daemon.LeasesAsync();
        Assert.Equal("active", Assert.Single(leases, l => l.ContainerId == CniRun.ContainerId("c-keep", network.Conf())).State);
        Assert.Equal("held", Assert.Single(leases, l => l.ContainerId == CniRun.ContainerId("c-gone", network.Conf())).State);
        CniRun.Exec("DEL", network.Conf(), "c-keep", keep.Path);
        CniRun.Exec("DEL", network.Conf(), "c-gone", gone.Path);
    }

    [RootFact]
    public async Task Ready_status_polls_leave_no_line_in_the_log_while_pod_changes_do()
    {
        // containerd 2.x asks STATUS every few seconds: a line each time would bury the pods' own in the journal.
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var pod = new TestNetns();
        for (var i = 0; i < 3; i++)
        {
            var status = CniRun.Exec("STATUS", network.Conf());
            Assert.True(status.ExitCode == 0, status.ToString());
        }

        var add = CniRun.Exec("ADD", network.Conf(), "c-logged", pod.Path, args: CniRun.PodArgs("logged"));

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.True(await Eventually.WaitForAsync(() => daemon.Log.Contains("CommitRequest", StringComparison.Ordinal)), daemon.Log);
        Assert.DoesNotContain("-> StatusResponse", daemon.Log, StringComparison.Ordinal);
        CniRun.Exec("DEL", network.Conf(), "c-logged", pod.Path);
    }

    [RootFact]
    public async Task Status_that_stays_not_ready_is_logged_once_and_again_when_its_answer_changes()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        var withoutPool = network.Conf(c => c.Remove("ipam"));
        static int Lines(string log) => log.Split('\n').Count(l => l.Contains("-> StatusResponse", StringComparison.Ordinal));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(50, CniRun.Exec("STATUS", withoutPool).ErrorCode);
        }

        _ = daemon.Ask<LeasesResponse>(new LeasesRequest());
        Assert.True(await Eventually.WaitForAsync(() => daemon.Log.Contains("LeasesRequest", StringComparison.Ordinal)), daemon.Log);
        Assert.Equal(1, Lines(daemon.Log));
        Assert.Equal(0, CniRun.Exec("STATUS", network.Conf()).ExitCode);
        Assert.Equal(0, CniRun.Exec("STATUS", network.Conf()).ExitCode);
        _ = daemon.Ask<LeasesResponse>(new LeasesRequest());
        Assert.True(await Eventually.WaitForAsync(() => daemon.Log.Split('\n').Count(l => l.Contains("LeasesRequest", StringComparison.Ordinal)) == 2), daemon.Log);
        Assert.Equal(2, Lines(daemon.Log));
    }

    [RootFact]
    public async Task Masquerade_is_installed_with_the_first_pod_and_removed_with_the_last()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var a = new TestNetns();
        using var b = new TestNetns();

        CniRun.Exec("ADD", network.Conf(), "c-a", a.Path, args: CniRun.PodArgs("a"));
        CniRun.Exec("ADD", network.Conf(), "c-b", b.Path, args: CniRun.PodArgs("b"));
        var rules = TestNetns.Run("nft", "list", "table", "inet", "yurtnet").Output;
        CniRun.Exec("DEL", network.Conf(), "c-a", a.Path);
        var afterFirst = TestNetns.Run("nft", "list", "table", "inet", "yurtnet").Output;
        CniRun.Exec("DEL", network.Conf(), "c-b", b.Path);
        var afterLast = TestNetns.Run("nft", "list", "table", "inet", "yurtnet").Output;

        Assert.Contains($"ip saddr {network.V4} ip daddr != {network.V4}", rules, StringComparison.Ordinal);
        Assert.Contains($"ip6 saddr {network.V6}", rules, StringComparison.Ordinal);
        Assert.Contains($"ip saddr {network.V4}", afterFirst, StringComparison.Ordinal);
        Assert.DoesNotContain($"ip saddr {network.V4}", afterLast, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task Failed_add_rolls_back_the_veth_and_the_lease()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();
        // A non-bridge device with the bridge's name makes plumbing fail after the allocation.
        Assert.Equal(0, TestNetns.Run("ip", "link", "add", network.Bridge, "type", "veth", "peer", "name", network.Bridge + "p").Code);

        var add = CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));

        Assert.Equal(7, add.ErrorCode);
        Assert.Contains($"bridge: \"{network.Bridge}\" exists and is a veth", add.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(await daemon.LeasesAsync());
        Assert.NotEqual(0, pod.Exec("ip", "link", "show", "eth0").Code);
        Assert.NotEqual(0, TestNetns.Run("ip", "link", "show", HostVethName.For(CniRun.ContainerId("c1", network.Conf()), "eth0")).Code);
    }

    [RootFact]
    public async Task Interface_name_taken_by_another_device_in_the_pod_is_code_4_and_costs_no_lease_and_not_the_device()
    {
        // The veth pair is made while yurtnetd allocates: its refusal is reported once the allocation is taken back.
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        Assert.Equal(0, pod.Exec("ip", "link", "add", "eth0", "type", "bridge").Code);

        var add = CniRun.Exec("ADD", network.Conf(), "c-taken", pod.Path, args: CniRun.PodArgs("taken"));

        Assert.Equal(4, add.ErrorCode);
        Assert.Contains("CNI_IFNAME eth0 already exists", add.ErrorMessage, StringComparison.Ordinal);
        Assert.True(await Eventually.WaitForAsync(() => daemon.Ask<LeasesResponse>(new LeasesRequest()).Leases.Count == 0), daemon.Log);
        Assert.Contains("bridge", pod.Exec("ip", "-d", "link", "show", "eth0").Output, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task Repeated_add_that_fails_on_a_running_pod_takes_back_only_what_it_added_and_keeps_the_pods_veth_and_lease()
    {
        // A repeated ADD whose configuration changed (an IPv6 pool added) on a pod that runs with IPv4: it gets a new
        // IPv6 lease, puts the address and its routes on the pod's eth0 and then fails (a route the pod cannot reach).
        // The pod's IPv4 address, veth and lease stay; what the ADD added leaves the pod before its lease is released.
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();
        var first = CniRun.Exec("ADD", network.Conf(c => c["ipam"]!["subnets"] = new JsonArray(network.V4)), "c-again", pod.Path, args: CniRun.PodArgs("again"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var address = first.Json.GetProperty("ips")[0].GetProperty("address").GetString()!;
        var routesBefore = pod.Exec("ip", "-6", "route", "show").Output;
        var changed = network.Conf(c => c["ipam"]!["routes"] = new JsonArray(new JsonObject { ["dst"] = "198.51.100.0/24", ["gw"] = "192.0.2.1" }));

        var again = CniRun.Exec("ADD", changed, "c-again", pod.Path, args: CniRun.PodArgs("again"));

        Assert.NotEqual(0, again.ExitCode);
        var kept = pod.Exec("ip", "-o", "addr", "show", "dev", "eth0", "scope", "global").Output;
        Assert.Contains(address, kept, StringComparison.Ordinal);
        Assert.DoesNotContain("inet6", kept, StringComparison.Ordinal);
        Assert.Equal(routesBefore, pod.Exec("ip", "-6", "route", "show").Output);
        var lease = Assert.Single(daemon.Ask<LeasesResponse>(new LeasesRequest()).Leases);
        Assert.Equal("active", lease.State);
        Assert.Equal(address.Split('/')[0], lease.Ip);
        Assert.Equal(0, pod.Exec("ping", "-c1", "-W2", network.V4.Replace(".0/24", ".1", StringComparison.Ordinal)).Code);
        CniRun.Exec("DEL", network.Conf(), "c-again", pod.Path);
    }

    [RootFact]
    public async Task Bridge_deleted_while_yurtnetd_allocates_is_made_again_and_the_add_succeeds()
    {
        // The plugin reads the bridge while it waits for yurtnetd's answer; what it read may be gone by then.
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var first = new TestNetns();
        using var second = new TestNetns();
        var gateway = network.V4.Replace(".0/24", ".1", StringComparison.Ordinal);
        Assert.Equal(0, CniRun.Exec("ADD", network.Conf(), "c-first", first.Path, args: CniRun.PodArgs("first")).ExitCode);
        var pid = daemon.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, TestNetns.Run("kill", "-STOP", pid).Code);
        Task<CniRun> add;
        try
        {
            add = Task.Run(() => CniRun.Exec("ADD", network.Conf(), "c-second", second.Path, args: CniRun.PodArgs("second")));
            Assert.True(await Eventually.WaitForAsync(() => second.Exec("ip", "link", "show", "eth0").Code == 0), "the veth pair was never made");
            Assert.Equal(0, TestNetns.Run("ip", "link", "del", network.Bridge).Code);
        }
        finally
        {
            Assert.Equal(0, TestNetns.Run("kill", "-CONT", pid).Code);
        }

        var run = await add;

        Assert.True(run.ExitCode == 0, $"{run}\n{daemon.Log}");
        Assert.Equal(0, second.Exec("ping", "-c1", "-W2", gateway).Code);
        Assert.True(await Eventually.WaitForAsync(() => first.Exec("ping", "-c1", "-W1", gateway).Code == 0), "the first pod was not put back on the bridge");
        CniRun.Exec("DEL", network.Conf(), "c-first", first.Path);
        CniRun.Exec("DEL", network.Conf(), "c-second", second.Path);
    }

    [RootFact]
    public async Task Allocation_that_times_out_leaves_no_veth_and_its_lease_is_freed_once_yurtnetd_runs_again()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        var pid = daemon.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, TestNetns.Run("kill", "-STOP", pid).Code);
        CniRun add;
        try
        {
            add = CniRun.Exec("ADD", network.Conf(c => c["requestTimeoutSeconds"] = 1), "c-slow", pod.Path, args: CniRun.PodArgs("slow"));
        }
        finally
        {
            Assert.Equal(0, TestNetns.Run("kill", "-CONT", pid).Code);
        }

        Assert.Equal(11, add.ErrorCode);
        Assert.NotEqual(0, pod.Exec("ip", "link", "show", "eth0").Code);
        Assert.NotEqual(0, TestNetns.Run("ip", "link", "show", HostVethName.For(CniRun.ContainerId("c-slow", network.Conf()), "eth0")).Code);
        Assert.True(await Eventually.WaitForAsync(() => daemon.Ask<LeasesResponse>(new LeasesRequest()).Leases.Count == 0), daemon.Log);
    }
    [RootFact]
    public async Task Pod_annotation_gets_the_requested_address_and_a_second_pod_asking_for_it_is_refused_leaving_no_veth()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var a = new TestNetns();
        using var b = new TestNetns();
        var wanted = network.V4.Replace(".0/24", ".40", StringComparison.Ordinal);
        System.Text.Json.Nodes.JsonObject Asking() => network.Conf(c => c["runtimeConfig"] = new System.Text.Json.Nodes.JsonObject
        {
            ["io.kubernetes.cri.pod-annotations"] = new System.Text.Json.Nodes.JsonObject { ["yurtnet.openyurt.io/ip"] = wanted },
        });

        var first = CniRun.Exec("ADD", Asking(), "c-fixed", a.Path, args: CniRun.PodArgs("fixed"));
        var second = CniRun.Exec("ADD", Asking(), "c-rival", b.Path, args: CniRun.PodArgs("rival"));

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal($"{wanted}/24", first.Json.GetProperty("ips")[0].GetProperty("address").GetString());
        Assert.Equal(0, a.Exec("ping", "-c1", "-W2", network.V4.Replace(".0/24", ".1", StringComparison.Ordinal)).Code);
        Assert.Equal(7, second.ErrorCode);
        Assert.Contains($"pod annotation yurtnet.openyurt.io/ip: requested address {wanted} is in use by pod default/fixed (active)", second.ErrorMessage, StringComparison.Ordinal);
        // The pair is made while yurtnetd allocates: a refusal removes it, in the pod and on the host.
        Assert.NotEqual(0, b.Exec("ip", "link", "show", "eth0").Code);
        Assert.NotEqual(0, TestNetns.Run("ip", "link", "show", HostVethName.For(CniRun.ContainerId("c-rival", network.Conf()), "eth0")).Code);
        Assert.Equal(0, TestNetns.Run("ip", "link", "show", HostVethName.For(CniRun.ContainerId("c-fixed", network.Conf()), "eth0")).Code);
        CniRun.Exec("DEL", network.Conf(), "c-fixed", a.Path);
    }
}
