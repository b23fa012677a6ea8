using System.Text.Json;
using System.Text.Json.Nodes;
using Yurtnet.Protocol;
using static Yurtnet.Integration.Tests.ClusterLinkTests;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// What the cloud sees of a gateway's pod network, with the real yurtnetd against the API server double: the Node's
/// NetworkUnavailable condition and yurtnet status annotation, and the Events an operator must act on.
/// </summary>
[Trait("requirement", "root")]
public sealed class NodeStatusTests
{
    private const string Annotation = "yurtnet.openyurt.io/status";

    private static string Cloud(DaemonProcess daemon) => daemon.Ask<StatusResponse>(new StatusRequest()).Health!.Cloud;

    private static string? Condition(ApiServerDouble api, string field) => api.NodeCondition(Node, "NetworkUnavailable")?[field]?.GetValue<string>();

    private static int Active(ApiServerDouble api) =>
        api.NodeAnnotation(Node, Annotation) is { } summary ? JsonDocument.Parse(summary).RootElement.GetProperty("leases").GetProperty("active").GetInt32() : -1;

    private static async Task OfflineAsync(ApiServerDouble api, DaemonProcess daemon)
    {
        api.HubHealthy = false;
        api.Mode = ApiMode.Offline;
        Assert.True(await Eventually.WaitForAsync(() => Cloud(daemon) == "offline"), daemon.Log);
    }

    [RootFact]
    public async Task Node_condition_says_yurtnet_is_up_and_the_annotation_follows_the_pods_coalesced()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.83.1.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api, ", \"nodeStatusInterval\": \"2s\""));
        using var network = new TestNetwork(daemon, "v4");
        Assert.True(await PodCidrLearnedAsync(daemon, "10.83.1.0/24"), daemon.Log);

        Assert.True(await Eventually.WaitForAsync(() => Condition(api, "reason") == "YurtnetIsUp"), daemon.Log);
        Assert.Equal("False", Condition(api, "status"));
        var summary = JsonDocument.Parse(api.NodeAnnotation(Node, Annotation)!).RootElement;
        Assert.Equal(daemon.Ask<StatusResponse>(new StatusRequest()).DaemonVersion, summary.GetProperty("version").GetString());
        Assert.Equal("10.83.1.0/24", summary.GetProperty("pools")[0].GetProperty("pool").GetString());
        Assert.Equal(253, summary.GetProperty("pools")[0].GetProperty("size").GetInt32());
        var writes = api.NodeStatusPatchesApplied;

        var since = Condition(api, "lastTransitionTime");
        var pods = Enumerable.Range(0, 6).Select(_ => new TestNetns()).ToList();
        try
        {
            var burst = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < pods.Count; i++)
            {
                Assert.Equal(0, CniRun.Exec("ADD", WithoutSubnets(network), $"n{i}", pods[i].Path, args: CniRun.PodArgs($"n{i}")).ExitCode);
            }

            var burstTook = burst.Elapsed;
            Assert.True(await Eventually.WaitForAsync(() => Active(api) == 6), daemon.Log);

            // Six pods in a burst, the counts written at most every 2 s: a write per interval, not a write per pod.
            Assert.InRange(api.NodeStatusPatchesApplied - writes, 1, 2 + (int)(burstTook.TotalSeconds / 2));
            Assert.Equal("False", Condition(api, "status"));

            // A restart writes the Node once more, and the condition keeps the time it last changed.
            var beforeRestart = api.NodeStatusPatchesApplied;
            daemon.Stop();
            await daemon.StartAgainAsync();
            Assert.True(await Eventually.WaitForAsync(() => api.NodeStatusPatchesApplied > beforeRestart), daemon.Log);
            Assert.Equal(since, Condition(api, "lastTransitionTime"));
            Assert.Equal("YurtnetIsUp", Condition(api, "reason"));
            foreach (var (pod, i) in pods.Select((p, i) => (p, i)))
            {
                CniRun.Exec("DEL", WithoutSubnets(network), $"n{i}", pod.Path);
            }
        }
        finally
        {
            pods.ForEach(p => p.Dispose());
        }
    }

    [RootFact]
    public async Task Node_condition_flips_when_the_card_is_full_offline_is_not_believed_and_the_latest_arrives_once_online()
    {
        using var disk = new SmallDisk();
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.83.2.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api), stateDir: Path.Combine(disk.Path, "state"));
        using var network = new TestNetwork(daemon, "v4");
        using var refused = new TestNetns();
        using var later = new TestNetns();
        Assert.True(await Eventually.WaitForAsync(() => Condition(api, "reason") == "YurtnetIsUp"), daemon.Log);
        var since = Time(Condition(api, "lastTransitionTime"));

        // Online, a full card: new pods get no address, and the Node says so. (The API's times are whole seconds: one
        // passes first, so that each change has a time of its own.)
        await NextSecondAsync();
        disk.Fill();
        var add = CniRun.Exec("ADD", WithoutSubnets(network), "f1", refused.Path, args: CniRun.PodArgs("f1"));
        Assert.Equal(11, add.ErrorCode);
        Assert.True(await Eventually.WaitForAsync(() => Condition(api, "status") == "True"), daemon.Log);
        Assert.Equal("YurtnetStoreUnavailable", Condition(api, "reason"));
        Assert.Contains("store full", Condition(api, "message"), StringComparison.Ordinal);
        var unavailableSince = Time(Condition(api, "lastTransitionTime"));
        Assert.True(unavailableSince > since, $"{unavailableSince} after {since}");

        // Offline, room again: the pods start; the Node's word is decided, and not taken from yurthub's fake 200.
        await OfflineAsync(api, daemon);
        await NextSecondAsync();
        var decided = Occurrences(daemon.Log, "node condition NetworkUnavailable=False (YurtnetIsUp");
        disk.Free();
        Assert.Equal(0, CniRun.Exec("ADD", WithoutSubnets(network), "f2", later.Path, args: CniRun.PodArgs("f2")).ExitCode);
        Assert.True(await Eventually.WaitForAsync(() => Occurrences(daemon.Log, "node condition NetworkUnavailable=False (YurtnetIsUp") > decided), daemon.Log);
        var applied = api.NodeStatusPatchesApplied;
        api.HubHealthy = true;
        Assert.True(await daemon.WaitForLogAsync("the status patch was answered without the change"), daemon.Log);
        Assert.Equal("True", Condition(api, "status"));
        Assert.Equal(applied, api.NodeStatusPatchesApplied);

        api.Mode = ApiMode.Online;
        Assert.True(await Eventually.WaitForAsync(() => Condition(api, "status") == "False", TimeSpan.FromSeconds(60)), daemon.Log);
        var bookmarks = api.BookmarksSent;
        Assert.True(await Eventually.WaitForAsync(() => api.BookmarksSent >= bookmarks + 4));

        Assert.Equal(applied + 1, api.NodeStatusPatchesApplied);
        Assert.Equal("YurtnetIsUp", Condition(api, "reason"));

        // The time it became available again, decided offline: after the time it became unavailable, never an older one.
        Assert.True(Time(Condition(api, "lastTransitionTime")) > unavailableSince, $"{Condition(api, "lastTransitionTime")} after {unavailableSince}");
        CniRun.Exec("DEL", WithoutSubnets(network), "f2", later.Path);
    }

    [RootFact]
    public async Task Pool_exhaustion_is_one_event_with_its_count_sent_only_online_and_made_again_once_expired()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.83.3.0/30");
        await using var daemon = await DaemonProcess.StartAsync(ClusterJson(api));
        using var network = new TestNetwork(daemon, "v4");
        using var first = new TestNetns();
        using var other = new TestNetns();
        Assert.True(await PodCidrLearnedAsync(daemon, "10.83.3.0/30"), daemon.Log);
        Assert.True(await Eventually.WaitForAsync(() => Cloud(daemon) == "online"), daemon.Log);
        Assert.Equal(0, CniRun.Exec("ADD", WithoutSubnets(network), "e0", first.Path, args: CniRun.PodArgs("e0")).ExitCode);

        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(100, CniRun.Exec("ADD", WithoutSubnets(network), $"e{i}", other.Path, args: CniRun.PodArgs($"e{i}")).ErrorCode);
        }

        Assert.True(await Eventually.WaitForAsync(() => Exhausted(api) is { } e && Count(e) == 3), daemon.Log);
        var sent = Assert.Single(api.KubeEvents.Values);
        Assert.Equal("Warning", sent["type"]!.GetValue<string>());
        Assert.Equal("Node", sent["involvedObject"]!["kind"]!.GetValue<string>());
        Assert.Equal(Node, sent["involvedObject"]!["name"]!.GetValue<string>());
        Assert.Contains("no free address in 10.83.3.0/30", sent["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // Offline: counted, not sent; nothing is believed from yurthub's echo.
        await OfflineAsync(api, daemon);
        Assert.Equal(100, CniRun.Exec("ADD", WithoutSubnets(network), "e4", other.Path, args: CniRun.PodArgs("e4")).ErrorCode);
        var patches = api.Count("PATCH", "/api/v1/namespaces/default/events");
        api.HubHealthy = true;
        Assert.True(await Eventually.WaitForAsync(() => api.Count("PATCH", "/api/v1/namespaces/default/events") > patches), daemon.Log);
        Assert.Equal(3, Count(Exhausted(api)!));

        api.Mode = ApiMode.Online;
        Assert.True(await Eventually.WaitForAsync(() => Count(Exhausted(api)!) == 4, TimeSpan.FromSeconds(60)), daemon.Log);
        Assert.Single(api.KubeEvents);

        // The API server dropped it (events live an hour): the next occurrence makes a new one with the whole count.
        api.ExpireEvents();
        Assert.Equal(100, CniRun.Exec("ADD", WithoutSubnets(network), "e5", other.Path, args: CniRun.PodArgs("e5")).ErrorCode);
        Assert.True(await Eventually.WaitForAsync(() => Exhausted(api) is { } e && Count(e) == 5), daemon.Log);
        CniRun.Exec("DEL", WithoutSubnets(network), "e0", first.Path);
    }

    [RootFact]
    public async Task Damaged_store_set_aside_at_start_is_an_event_on_the_node_once_the_cloud_is_there()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.83.4.0/24");
        await using var daemon = new DaemonProcess(ClusterJson(api));
        Directory.CreateDirectory(daemon.StateDir);
        File.WriteAllBytes(Path.Combine(daemon.StateDir, "state.db"), Enumerable.Repeat((byte)0x5a, 16384).ToArray());

        await daemon.StartAgainAsync();

        Assert.True(await Eventually.WaitForAsync(() => api.KubeEvents.Values.Any(e => e["reason"]?.GetValue<string>() == "StateStoreRebuilt")), daemon.Log);
        var sent = api.KubeEvents.Values.Single(e => e["reason"]!.GetValue<string>() == "StateStoreRebuilt");
        Assert.Equal("Warning", sent["type"]!.GetValue<string>());
        Assert.Contains("state.db.corrupt-", sent["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static DateTimeOffset Time(string? text) => DateTimeOffset.Parse(text!, System.Globalization.CultureInfo.InvariantCulture);

    private static int Occurrences(string log, string text) => log.Split(text).Length - 1;

    /// <summary>Waits for the wall clock's next second: the API server's times have no finer grain.</summary>
    private static async Task NextSecondAsync()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.True(await Eventually.WaitForAsync(() => DateTimeOffset.UtcNow.ToUnixTimeSeconds() > now.ToUnixTimeSeconds()));
    }

    private static JsonObject? Exhausted(ApiServerDouble api) => api.KubeEvents.Values.SingleOrDefault(e => e["reason"]?.GetValue<string>() == "PoolExhausted");

    private static int Count(JsonObject e) => e["count"]!.GetValue<int>();
}
