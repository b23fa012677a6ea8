using System.Text.Json.Nodes;
using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>The real yurtnetd against an API server double that behaves like kube-apiserver and like yurthub offline.</summary>
[Trait("requirement", "root")]
public sealed class ClusterLinkTests
{
    internal const string Node = "gw-7";

    internal static string ClusterJson(ApiServerDouble api, string extra = "") =>
        $$""", "cluster": { "nodeName": "{{Node}}", "server": "{{api.Server}}", "caFile": "{{api.CaFile}}", "tokenFile": "{{api.TokenFile}}", "hubManagement": "{{api.HubManagement}}", "healthInterval": "200ms", "watchTimeout": "10s"{{extra}} }""";

    /// <summary>A network whose conflist has no ipam.subnets: its pool is the node's podCIDR.</summary>
    internal static JsonObject WithoutSubnets(TestNetwork network) => network.Conf(c => c.Remove("ipam"));

    internal static Task<bool> PodCidrLearnedAsync(DaemonProcess daemon, string cidr) =>
        Eventually.WaitForAsync(() => daemon.Ask<StatusResponse>(new StatusRequest { Network = "probe" }) is { Ready: true }
            && daemon.Ask<StatusResponse>(new StatusRequest()).Pools.Any(p => p.Pool == cidr));

    [RootFact]
    public async Task Pod_gets_an_address_from_the_node_podcidr_when_the_conflist_has_no_subnets()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode("gw-other", "10.79.9.0/24");
        api.SetNode(Node, "10.79.3.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();

        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.3.0/24"), daemon.Log);
        var add = CniRun.Exec("ADD", WithoutSubnets(network), "c-cidr", pod.Path, args: CniRun.PodArgs("web"));

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal("10.79.3.2/24", add.Json.GetProperty("ips")[0].GetProperty("address").GetString());
        Assert.Equal(0, pod.Exec("ping", "-c1", "-W2", "10.79.3.1").Code);
        CniRun.Exec("DEL", WithoutSubnets(network), "c-cidr", pod.Path);
    }

    [RootFact]
    public async Task Api_requests_carry_the_yurtnet_agent_json_accept_http11_the_token_and_one_selector_per_resource()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.4.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));

        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.4.0/24"), daemon.Log);
        Assert.True(await Eventually.WaitForAsync(() => api.Count("GET", "/api/v1/nodes", watch: true) > 0 && api.Count("GET", "/api/v1/pods", watch: true) > 0));

        Assert.All(api.Requests, r =>
        {
            Assert.Equal("yurtnet", r.UserAgent);
            Assert.Equal("application/json", r.Accept);
            Assert.Equal("HTTP/1.1", r.Protocol);
            Assert.Equal($"Bearer {api.Token}", r.Authorization);
            Assert.Contains(r.Path.StartsWith("/api/v1/pods", StringComparison.Ordinal) ? $"fieldSelector=spec.nodeName%3D{Node}" : $"fieldSelector=metadata.name%3D{Node}", r.Path, StringComparison.Ordinal);
        });
        Assert.Contains(api.Requests, r => r.Path.StartsWith("/api/v1/pods?", StringComparison.Ordinal));
        Assert.Contains(api.Requests, r => r.Watch && r.Path.Contains("allowWatchBookmarks=true", StringComparison.Ordinal) && r.Path.Contains("timeoutSeconds=10", StringComparison.Ordinal));
    }

    [RootFact]
    public async Task Podcidr_learned_online_serves_a_cold_start_with_the_api_unreachable()
    {
        var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.5.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.5.0/24"), daemon.Log);
        daemon.Stop();
        await api.DisposeAsync();

        await daemon.StartAgainAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        var add = CniRun.Exec("ADD", WithoutSubnets(network), "c-cold", pod.Path, args: CniRun.PodArgs("cold"));

        Assert.True(add.ExitCode == 0, add + daemon.Log);
        Assert.StartsWith("10.79.5.", add.Json.GetProperty("ips")[0].GetProperty("address").GetString(), StringComparison.Ordinal);
        CniRun.Exec("DEL", WithoutSubnets(network), "c-cold", pod.Path);
    }

    [RootFact]
    public async Task Cni_status_passes_while_the_cloud_is_down_and_after_a_cold_start_without_it()
    {
        // containerd 2.x asks STATUS about every 5 s and starts no pod while it fails: the cloud being gone must not
        // fail it, for a pool from the conflist or one learned from the Node before.
        var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.17.0/24");
        api.HubHealthy = true;
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.17.0/24"), daemon.Log);
        using var network = new TestNetwork(daemon, "v4");
        var withSubnets = network.Conf(c => c["cniVersion"] = "1.1.0");
        var learned = network.Conf(c =>
        {
            c.Remove("ipam");
            c["cniVersion"] = "1.1.0";
        });

        api.HubHealthy = false;
        api.Mode = ApiMode.Hanging;
        Assert.True(await Eventually.WaitForAsync(() => daemon.Ask<StatusResponse>(new StatusRequest()).Health!.Cloud == "offline"), daemon.Log);
        var offline = (CniRun.Exec("STATUS", withSubnets), CniRun.Exec("STATUS", learned));
        daemon.Stop();
        await api.DisposeAsync();
        await daemon.StartAgainAsync();
        var cold = (CniRun.Exec("STATUS", withSubnets), CniRun.Exec("STATUS", learned));

        Assert.True(offline.Item1.ExitCode == 0, $"{offline.Item1}\n{daemon.Log}");
        Assert.True(offline.Item2.ExitCode == 0, $"{offline.Item2}\n{daemon.Log}");
        Assert.True(cold.Item1.ExitCode == 0, $"{cold.Item1}\n{daemon.Log}");
        Assert.True(cold.Item2.ExitCode == 0, $"{cold.Item2}\n{daemon.Log}");
    }

    [RootFact]
    public async Task Add_and_del_complete_while_every_api_request_hangs_and_make_no_api_request()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.6.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.6.0/24"), daemon.Log);
        api.Mode = ApiMode.Hanging;
        api.Compact();
        // The open watches (Node and pods) go quiet and end at their timeoutSeconds (10 s); the next request of each
        // then hangs. Both must hang before counting, or the second one's request would land in the count.
        Assert.True(await Eventually.WaitForAsync(() => api.HangingRequests >= 2, TimeSpan.FromSeconds(25)), "the daemon's next watches should be hanging");
        var before = api.Requests.Count;
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();

        var add = CniRun.Exec("ADD", WithoutSubnets(network), "c-hang", pod.Path, args: CniRun.PodArgs("hang"));
        var del = CniRun.Exec("DEL", WithoutSubnets(network), "c-hang", pod.Path);

        Assert.True(add.ExitCode == 0 && del.ExitCode == 0, add + "\n" + del);
        Assert.True(api.HangingRequests > 0, "ADD and DEL were answered while the API still hung");
        Assert.Equal(before, api.Requests.Count);
    }

    [RootFact]
    public async Task Offline_list_that_ignores_the_selector_still_yields_this_node_only()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode("gw-1-other", "10.79.8.0/24");
        api.SetNode(Node, "10.79.7.0/24");
        api.Mode = ApiMode.Offline;
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));

        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.7.0/24"), daemon.Log);
        var status = daemon.Ask<StatusResponse>(new StatusRequest());
        Assert.DoesNotContain(status.Pools, p => p.Pool == "10.79.8.0/24");
    }

    [RootFact]
    public async Task Changed_podcidr_is_logged_loudly_and_applies_to_new_pods_only()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.10.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.10.0/24"), daemon.Log);
        using var network = new TestNetwork(daemon, "v4");
        using var first = new TestNetns();
        using var second = new TestNetns();
        var before = CniRun.Exec("ADD", WithoutSubnets(network), "c-old", first.Path, args: CniRun.PodArgs("old"));

        api.SetNode(Node, "10.79.11.0/24");
        Assert.True(await daemon.WaitForLogAsync("pod CIDRs CHANGED"), daemon.Log);
        var after = CniRun.Exec("ADD", WithoutSubnets(network), "c-new", second.Path, args: CniRun.PodArgs("new"));

        Assert.Equal("10.79.10.2/24", before.Json.GetProperty("ips")[0].GetProperty("address").GetString());
        Assert.Equal("10.79.11.2/24", after.Json.GetProperty("ips")[0].GetProperty("address").GetString());
        Assert.Contains("1 existing lease(s) in the old ones keep their addresses", daemon.Log, StringComparison.Ordinal);
        Assert.Contains(await daemon.LeasesAsync(), l => l.Ip == "10.79.10.2" && l.State == "active");
        Assert.True(await Eventually.WaitForAsync(() => api.KubeEvents.Values.Any(e => e["reason"]?.GetValue<string>() == "PodCIDRChanged"
            && e["message"]!.GetValue<string>().Contains("from 10.79.10.0/24 to 10.79.11.0/24", StringComparison.Ordinal))), daemon.Log);
        CniRun.Exec("DEL", WithoutSubnets(network), "c-old", first.Path);
        CniRun.Exec("DEL", WithoutSubnets(network), "c-new", second.Path);
    }

    [RootFact]
    public async Task Expired_watch_relists_and_a_dropped_connection_reconnects_without_polling()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.12.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.12.0/24"), daemon.Log);
        Assert.True(await Eventually.WaitForAsync(() => api.Count("GET", "/api/v1/nodes", watch: true) == 1));

        api.Compact();
        api.SetNode(Node, "10.79.13.0/24");
        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.13.0/24"), daemon.Log);
        var listsAfterGone = api.Count("GET", "/api/v1/nodes", watch: false);
        var before = api.Requests.Count;
        api.Mode = ApiMode.Dropping;
        Assert.True(await Eventually.WaitForAsync(() => api.Requests.Count > before), "a request should have been dropped");
        api.Mode = ApiMode.Online;
        Assert.True(await Eventually.WaitForAsync(() => api.Count("GET", "/api/v1/nodes", watch: false) > listsAfterGone), daemon.Log);

        // Back online, each watch lists once more from the live server; then both watches stay open.
        Assert.True(await Eventually.WaitForAsync(() => daemon.Ask<StatusResponse>(new StatusRequest()).Health!.Cloud == "online"), daemon.Log);
        var bookmarks = api.BookmarksSent;
        Assert.True(await Eventually.WaitForAsync(() => api.BookmarksSent >= bookmarks + 4), "both watches should be open again");
        var lists = api.Count("GET", "/api/v1/nodes", watch: false);
        var watches = api.Count("GET", "/api/v1/nodes", watch: true);

        // Four more bookmarks on the open watches: the time in which a polling client would have asked again.
        bookmarks = api.BookmarksSent;
        Assert.True(await Eventually.WaitForAsync(() => api.BookmarksSent >= bookmarks + 4), "the watches should stay open");

        // No list at all, and at most the one watch renewal that the 10 s timeoutSeconds may bring.
        Assert.Equal(lists, api.Count("GET", "/api/v1/nodes", watch: false));
        Assert.InRange(api.Count("GET", "/api/v1/nodes", watch: true), watches, watches + 1);
    }

    [RootFact]
    public async Task Cloud_state_follows_yurthub_and_the_watch_and_survives_a_restart()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.14.0/24");
        api.BookmarkInterval = TimeSpan.FromHours(1);
        api.Mode = ApiMode.Offline;
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        string Cloud() => daemon.Ask<StatusResponse>(new StatusRequest()).Health!.Cloud;

        // No metric yet and an offline watch is silent: nothing proves the cloud either way.
        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.14.0/24"), daemon.Log);
        Assert.Equal("unknown", Cloud());
        api.HubHealthy = false;
        Assert.True(await Eventually.WaitForAsync(() => Cloud() == "offline"), daemon.Log);
        api.HubHealthy = true;
        api.Mode = ApiMode.Online;
        Assert.True(await Eventually.WaitForAsync(() => Cloud() == "online"), daemon.Log);
        var ctl = daemon.Ctl("status");
        Assert.Contains("cloud     online: yurthub reports the API server healthy, since ", ctl.Output, StringComparison.Ordinal);
        Assert.Contains("cloud is offline: yurthub reports the API server unhealthy", daemon.Log, StringComparison.Ordinal);

        // Restarted with yurthub down: the state kept in the store is shown first; then "yurthub does not answer"
        // with no API evidence is honestly unknown.
        daemon.Stop();
        api.HubDown = true;
        api.Mode = ApiMode.Hanging;
        await daemon.StartAgainAsync();
        Assert.True(await daemon.WaitForLogAsync("cloud was online since "), daemon.Log);
        Assert.True(await Eventually.WaitForAsync(() => Cloud() == "unknown"), daemon.Log);
    }

    [RootFact]
    public async Task Rotated_token_file_is_read_again_and_unauthorized_is_retried()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.15.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.15.0/24"), daemon.Log);

        await api.RotateTokenAsync("yurtnet-sa-token-2");
        api.Compact();
        api.SetNode(Node, "10.79.16.0/24");

        Assert.True(await PodCidrLearnedAsync(daemon, "10.79.16.0/24"), daemon.Log);
        Assert.Contains(api.Requests, r => r.Authorization == "Bearer yurtnet-sa-token-2");
    }

    [RootFact]
    public async Task Without_subnets_and_without_a_known_podcidr_add_fails_with_a_clear_message()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.Mode = ApiMode.Hanging;
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();

        var add = CniRun.Exec("ADD", WithoutSubnets(network), "c-none", pod.Path, args: CniRun.PodArgs("none"));
        var status = CniRun.Exec("STATUS", network.Conf(c =>
        {
            c.Remove("ipam");
            c["cniVersion"] = "1.1.0";
        }));

        Assert.Equal(11, add.ErrorCode);
        Assert.Contains("has no ipam.subnets and the node's podCIDRs are not known yet", add.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(50, status.ErrorCode);
        Assert.Contains("podCIDRs are not known yet", status.ErrorMessage, StringComparison.Ordinal);
    }
}
