using System.Text.Json;
using Yurtnet.Protocol;
using static Yurtnet.Integration.Tests.ClusterLinkTests;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// The pod network-status annotation and cluster-driven GC, with the real yurtnetd and plugin against the API server
/// double: what reaches the cloud, when, how often, and what is never released.
/// </summary>
[Trait("requirement", "root")]
public sealed class PodStatusTests
{
    private const string NetworkStatus = "k8s.v1.cni.cncf.io/network-status";

    private static string Cloud(DaemonProcess daemon) => daemon.Ask<StatusResponse>(new StatusRequest()).Health!.Cloud;

    private static int Outbox(DaemonProcess daemon) => daemon.Ask<StatusResponse>(new StatusRequest()).Outbox;

    /// <summary>Online, the pod view listed from the live server and confirmed by bookmarks on both watches.</summary>
    private static async Task SettledOnlineAsync(ApiServerDouble api, DaemonProcess daemon, string cidr)
    {
        Assert.True(await PodCidrLearnedAsync(daemon, cidr), daemon.Log);
        Assert.True(await Eventually.WaitForAsync(() => Cloud(daemon) == "online"), daemon.Log);
        var bookmarks = api.BookmarksSent;
        Assert.True(await Eventually.WaitForAsync(() => api.BookmarksSent >= bookmarks + 4), "both watches should be open and getting bookmarks");
    }

    private static async Task<(bool Offline, string Log)> OfflineAsync(ApiServerDouble api, DaemonProcess daemon)
    {
        api.HubHealthy = false;
        api.Mode = ApiMode.Offline;
        return (await Eventually.WaitForAsync(() => Cloud(daemon) == "offline"), daemon.Log);
    }

    private static string Ip(CniRun add) => add.Json.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];

    [RootFact]
    public async Task Committed_add_annotates_its_pod_once_and_a_pod_lifecycle_costs_one_write_and_no_list()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.81.1.0/24");
        var uid = api.AddPod("shop", "till", Node);
        api.AddPod("shop", "elsewhere", "gw-other");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        await SettledOnlineAsync(api, daemon, "10.81.1.0/24");
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        var before = api.Requests.Count;

        var add = CniRun.Exec("ADD", WithoutSubnets(network), "c-till", pod.Path, args: CniRun.PodArgs("till", "shop", uid));
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.True(await Eventually.WaitForAsync(() => api.PodAnnotation("shop", "till", NetworkStatus) is not null), daemon.Log);
        var del = CniRun.Exec("DEL", WithoutSubnets(network), "c-till", pod.Path, args: CniRun.PodArgs("till", "shop", uid));
        Assert.True(del.ExitCode == 0, del.ToString());
        var bookmarks = api.BookmarksSent;
        Assert.True(await Eventually.WaitForAsync(() => api.BookmarksSent >= bookmarks + 4), "the watches should stay open");

        using var status = JsonDocument.Parse(api.PodAnnotation("shop", "till", NetworkStatus)!);
        var entry = Assert.Single(status.RootElement.EnumerateArray());
        Assert.Equal(network.Name, entry.GetProperty("name").GetString());
        Assert.Equal("eth0", entry.GetProperty("interface").GetString());
        Assert.Equal([Ip(add)], entry.GetProperty("ips").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(add.Json.GetProperty("interfaces")[2].GetProperty("mac").GetString(), entry.GetProperty("mac").GetString());
        Assert.True(entry.GetProperty("default").GetBoolean());

        var lifecycle = api.Requests.Skip(before).Where(r => !r.Watch).ToList();
        Assert.Equal(["PATCH /api/v1/namespaces/shop/pods/till"], lifecycle.Select(r => $"{r.Method} {r.Path}"));
        Assert.Equal(1, api.PatchesApplied);
        Assert.Equal(0, Outbox(daemon));
        Assert.Null(api.PodAnnotation("shop", "elsewhere", NetworkStatus));
    }

    [RootFact]
    public async Task Status_decided_offline_is_never_taken_from_a_fake_success_and_arrives_exactly_once_after_a_restart()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.81.2.0/24");
        var pods = Enumerable.Range(1, 3).Select(i => (Name: $"cam-{i}", Uid: api.AddPod("plant", $"cam-{i}", Node))).ToList();
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        await SettledOnlineAsync(api, daemon, "10.81.2.0/24");
        var offline = await OfflineAsync(api, daemon);
        Assert.True(offline.Offline, offline.Log);
        using var network = new TestNetwork(daemon, "v4");
        var netns = pods.Select(_ => new TestNetns()).ToList();
        try
        {
            foreach (var (p, ns) in pods.Zip(netns))
            {
                var add = CniRun.Exec("ADD", WithoutSubnets(network), $"c-{p.Name}", ns.Path, args: CniRun.PodArgs(p.Name, "plant", p.Uid));
                Assert.True(add.ExitCode == 0, add.ToString());
            }

            Assert.Equal(3, Outbox(daemon));
            Assert.Equal(0, api.Count("PATCH", "/api/v1/namespaces"));

            // Restarted while offline: the outbox is on disk.
            daemon.Stop();
            await daemon.StartAgainAsync();
            Assert.Equal(3, Outbox(daemon));

            // yurthub calls the cloud healthy while it still answers from its cache: every PATCH is a fake 200.
            api.HubHealthy = true;
            Assert.True(await daemon.WaitForLogAsync("without the change (yurthub answering offline from its cache)"), daemon.Log);
            Assert.Equal(0, api.PatchesApplied);
            Assert.Equal(3, Outbox(daemon));

            api.Mode = ApiMode.Online;
            Assert.True(await Eventually.WaitForAsync(() => Outbox(daemon) == 0, TimeSpan.FromSeconds(60)), daemon.Log);
            var bookmarks = api.BookmarksSent;
            Assert.True(await Eventually.WaitForAsync(() => api.BookmarksSent >= bookmarks + 4), "the watches should stay open");

            Assert.All(pods, p => Assert.Contains(network.Name, api.PodAnnotation("plant", p.Name, NetworkStatus), StringComparison.Ordinal));
            Assert.Equal(3, api.PatchesApplied);
        }
        finally
        {
            foreach (var (p, ns) in pods.Zip(netns))
            {
                CniRun.Exec("DEL", WithoutSubnets(network), $"c-{p.Name}", ns.Path);
                ns.Dispose();
            }
        }
    }

    [RootFact]
    public async Task Nothing_is_released_from_stale_data_and_a_pod_gone_from_the_live_api_is_released_after_the_grace_period()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.81.3.0/24");
        var goneUid = api.AddPod("shop", "gone", Node);
        var runningUid = api.AddPod("shop", "running", Node);
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api, """, "gcGrace": "2s" """));
        await SettledOnlineAsync(api, daemon, "10.81.3.0/24");
        using var network = new TestNetwork(daemon, "v4");
        using var goneNs = new TestNetns();
        using var runningNs = new TestNetns();
        var gone = CniRun.Exec("ADD", WithoutSubnets(network), "c-gone", goneNs.Path, args: CniRun.PodArgs("gone", "shop", goneUid));
        var running = CniRun.Exec("ADD", WithoutSubnets(network), "c-running", runningNs.Path, args: CniRun.PodArgs("running", "shop", runningUid));
        Assert.True(gone.ExitCode == 0 && running.ExitCode == 0, gone + "\n" + running);
        CniRun.Exec("DEL", WithoutSubnets(network), "c-gone", goneNs.Path);

        // Offline, both pods are deleted in the cloud and yurthub's cache is lost; a cold restart lists nothing.
        var offline = await OfflineAsync(api, daemon);
        Assert.True(offline.Offline, offline.Log);
        api.DeletePod("shop", "gone");
        api.DeletePod("shop", "running");
        api.WipeCache();
        daemon.Stop();
        await daemon.StartAgainAsync();
        Assert.True(await Eventually.WaitForAsync(() => api.Count("GET", "/api/v1/pods", watch: true) >= 3), daemon.Log);
        // A release that must not happen has no event to wait for: let more than twice gcGrace (2 s) pass.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var leases = await daemon.LeasesAsync();
        Assert.Contains(leases, l => l.Ip == Ip(gone) && l.State == "held");
        Assert.Contains(leases, l => l.Ip == Ip(running) && l.State == "active");

        // Back online: the live list lacks both. The held lease goes after the grace period; the running pod's
        // address is still on its interface, so it stays until the runtime's DEL.
        api.HubHealthy = true;
        api.Mode = ApiMode.Online;
        Assert.True(await daemon.WaitForLogAsync($"released {Ip(gone)}", TimeSpan.FromSeconds(30)), daemon.Log);
        Assert.True(await daemon.WaitForLogAsync($"keeping {Ip(running)}"), daemon.Log);
        Assert.True(await Eventually.WaitForAsync(() => api.KubeEvents.Values.Any(e => e["reason"]?.GetValue<string>() == "AddressReleasedByGC"
            && e["type"]!.GetValue<string>() == "Normal" && e["message"]!.GetValue<string>().Contains($"released {Ip(gone)}", StringComparison.Ordinal))), daemon.Log);
        Assert.Contains(await daemon.LeasesAsync(), l => l.Ip == Ip(running) && l.State == "active");

        CniRun.Exec("DEL", WithoutSubnets(network), "c-running", runningNs.Path);
        Assert.True(await daemon.WaitForLogAsync($"released {Ip(running)}", TimeSpan.FromSeconds(30)), daemon.Log);
        Assert.Empty(await daemon.LeasesAsync());
    }

    [RootFact]
    public async Task Without_capabilities_a_namespace_that_cannot_be_inspected_keeps_its_lease_until_it_is_gone()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.81.7.0/24");
        var uid = api.AddPod("shop", "kept", Node);
        var daemon = new DaemonProcess(ClusterJson(api, """, "gcGrace": "1s" """));
        await using var _ = daemon;
        await daemon.StartWithoutCapabilitiesAsync();
        await SettledOnlineAsync(api, daemon, "10.81.7.0/24");
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        var add = CniRun.Exec("ADD", WithoutSubnets(network), "c-kept", pod.Path, args: CniRun.PodArgs("kept", "shop", uid));
        Assert.True(add.ExitCode == 0, add.ToString());

        api.DeletePod("shop", "kept");
        Assert.True(await daemon.WaitForLogAsync($"keeping {Ip(add)}: pod shop/kept is gone from the API server but its network namespace {pod.Path} still exists", TimeSpan.FromSeconds(30)), daemon.Log);
        Assert.Contains(await daemon.LeasesAsync(), l => l.Ip == Ip(add) && l.State == "active");

        // The runtime tears the sandbox down and removes its namespace (deleting it again at the end is harmless).
        CniRun.Exec("DEL", WithoutSubnets(network), "c-kept", pod.Path);
        pod.Dispose();
        Assert.True(await daemon.WaitForLogAsync($"released {Ip(add)}", TimeSpan.FromSeconds(30)), daemon.Log);
        Assert.Empty(await daemon.LeasesAsync());
    }

    [RootFact]
    public async Task Slow_api_and_a_burst_of_401_still_deliver_the_status_exactly_once()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.81.6.0/24");
        var uid = api.AddPod("shop", "slow", Node);
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        await SettledOnlineAsync(api, daemon, "10.81.6.0/24");
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        api.ResponseDelay = TimeSpan.FromSeconds(1.5);
        api.RejectNext(3);

        var add = CniRun.Exec("ADD", WithoutSubnets(network), "c-slow", pod.Path, args: CniRun.PodArgs("slow", "shop", uid));

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.True(await Eventually.WaitForAsync(() => Outbox(daemon) == 0, TimeSpan.FromSeconds(60)), daemon.Log);
        Assert.Contains("401 Unauthorized", daemon.Log, StringComparison.Ordinal);
        Assert.Equal(1, api.PatchesApplied);
        Assert.NotNull(api.PodAnnotation("shop", "slow", NetworkStatus));
        CniRun.Exec("DEL", WithoutSubnets(network), "c-slow", pod.Path);
    }

    [RootFact]
    public async Task Runtime_without_pod_annotations_gets_the_requested_address_and_uid_from_the_pod_watch_without_an_api_request()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.81.5.0/24");
        var uid = api.AddPod("shop", "scale", Node, annotations: new Dictionary<string, string> { ["yurtnet.openyurt.io/ip"] = "10.81.5.77" });
        api.AddPod("shop", "bad", Node, annotations: new Dictionary<string, string> { ["yurtnet.openyurt.io/ip"] = "10.81.5.0/24" });
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        await SettledOnlineAsync(api, daemon, "10.81.5.0/24");
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        using var badPod = new TestNetns();
        var lists = api.Count("GET", "/api/v1/pods", watch: false);

        var add = CniRun.Exec("ADD", WithoutSubnets(network), "c-scale", pod.Path, args: CniRun.PodArgs("scale", "shop"));
        var bad = CniRun.Exec("ADD", WithoutSubnets(network), "c-bad", badPod.Path, args: CniRun.PodArgs("bad", "shop"));

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal("10.81.5.77", Ip(add));
        Assert.Contains(await daemon.LeasesAsync(), l => l.Ip == "10.81.5.77" && l.PodUid == uid);
        Assert.Equal(7, bad.ErrorCode);
        Assert.Contains("\"10.81.5.0/24\" (as the pod watch saw it): \"10.81.5.0/24\" is not an IPv4 address in dotted decimal", bad.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(lists, api.Count("GET", "/api/v1/pods", watch: false));
        CniRun.Exec("DEL", WithoutSubnets(network), "c-scale", pod.Path);
    }

    [RootFact]
    public async Task Outage_with_500_pod_churns_through_the_real_plugin_leaves_one_entry_per_live_pod_and_one_write_each_after()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.81.4.0/22");
        var live = Enumerable.Range(0, 5).Select(i => (Name: $"till-{i}", Uid: api.AddPod("shop", $"till-{i}", Node), Netns: new TestNetns())).ToList();
        var containers = live.ToDictionary(p => p.Name, p => $"c-{p.Name}-0");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api) + """, "reconcileInterval": "1s" """, leaseHold: "2s");
        await SettledOnlineAsync(api, daemon, "10.81.4.0/22");
        var offline = await OfflineAsync(api, daemon);
        Assert.True(offline.Offline, offline.Log);
        using var network = new TestNetwork(daemon, "v4");
        using var jobs = new TestNetns();
        CniRun Cni(string command, string container, TestNetns netns, string pod, string? uid = null)
        {
            var run = CniRun.Exec(command, WithoutSubnets(network), container, netns.Path, args: CniRun.PodArgs(pod, "shop", uid));
            Assert.True(run.ExitCode == 0, $"{command} {container}: {run}");
            return run;
        }

        try
        {
            var adds = live.ToDictionary(p => p.Name, p => Cni("ADD", containers[p.Name], p.Netns, p.Name, p.Uid));
            for (var churn = 0; churn < 500; churn++)
            {
                if (churn % 2 == 0)
                {
                    var p = live[churn / 2 % live.Count];
                    Cni("DEL", containers[p.Name], p.Netns, p.Name, p.Uid);
                    containers[p.Name] = $"c-{p.Name}-{churn}";
                    adds[p.Name] = Cni("ADD", containers[p.Name], p.Netns, p.Name, p.Uid);
                }
                else
                {
                    Cni("ADD", $"c-job-{churn}", jobs, $"job-{churn}");
                    Cni("DEL", $"c-job-{churn}", jobs, $"job-{churn}");
                }
            }

            Assert.Equal(live.Count, Outbox(daemon));
            Assert.True(api.Count("PATCH", "/api/v1/namespaces") == 0, daemon.Log);

            api.Mode = ApiMode.Online;
            api.HubHealthy = true;
            Assert.True(await Eventually.WaitForAsync(() => Outbox(daemon) == 0, TimeSpan.FromSeconds(60)), daemon.Log);
            var bookmarks = api.BookmarksSent;
            Assert.True(await Eventually.WaitForAsync(() => api.BookmarksSent >= bookmarks + 4), "the watches should stay open");

            Assert.Equal(live.Count, api.Count("PATCH", "/api/v1/namespaces"));
            Assert.Equal(live.Count, api.PatchesApplied);
            Assert.All(live, p => Assert.Contains(
                adds[p.Name].Json.GetProperty("interfaces")[2].GetProperty("mac").GetString()!,
                api.PodAnnotation("shop", p.Name, NetworkStatus),
                StringComparison.Ordinal));
        }
        finally
        {
            foreach (var p in live)
            {
                CniRun.Exec("DEL", WithoutSubnets(network), containers[p.Name], p.Netns.Path);
                p.Netns.Dispose();
            }
        }
    }
}
