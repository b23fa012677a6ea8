using System.Globalization;
using System.Net;
using System.Text.Json;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.Cluster;

/// <summary>What the Node should say, made from snapshots; how a patch looks; and which answer shows it.</summary>
public sealed class NodeReportTests
{
    private static readonly DateTimeOffset Since = DateTimeOffset.Parse("2026-11-30T10:00:00Z", CultureInfo.InvariantCulture);

    private static HealthInfo Health(string cni = "ready", string store = "ok", string? lastFailure = null) => new()
    {
        Uplink = "up", Cloud = "online", Cni = cni, Store = store, Liveness = "ok", Alive = true, SystemdWatchdog = "off", HardwareWatchdog = "off", LastFailure = lastFailure,
    };

    private static Lease Lease(string ip, LeaseState state) => new()
    {
        Ip = IPAddress.Parse(ip), Pool = "10.9.0.0/24", Network = "edge", State = state, ContainerId = ip, IfName = "eth0", BootId = "b", Since = Since,
    };

    private static NodeReport Report(HealthInfo health, params Lease[] leases) => NodeReport.From(health, leases, ["10.9.0.0/24"], [], "1.2.3");

    [Theory]
    [InlineData("ready", "ok", false, "YurtnetIsUp")]
    [InlineData("starting", "ok", true, "YurtnetStarting")]
    [InlineData("not ready: full: No space left on device", "full: No space left on device", true, "YurtnetStoreUnavailable")]
    [InlineData("not ready: failing: Input/output error", "failing: Input/output error", true, "YurtnetStoreUnavailable")]
    public void Condition_says_whether_yurtnet_serves_add_and_why_not(string cni, string store, bool unavailable, string reason)
    {
        var report = Report(Health(cni, store));

        Assert.Equal(unavailable, report.Unavailable);
        Assert.Equal(reason, report.Reason);
    }

    [Fact]
    public void Summary_counts_leases_and_pool_use_and_names_the_last_error()
    {
        var report = Report(Health(lastFailure: "2026-11-30T10:01:00Z ADD refused: no free address"), Lease("10.9.0.2", LeaseState.Active), Lease("10.9.0.3", LeaseState.Held));
        var summary = JsonDocument.Parse(report.Summary).RootElement;

        Assert.Equal("1.2.3", summary.GetProperty("version").GetString());
        Assert.Equal(1, summary.GetProperty("leases").GetProperty("active").GetInt32());
        Assert.Equal(1, summary.GetProperty("leases").GetProperty("held").GetInt32());
        Assert.Equal(2, summary.GetProperty("pools")[0].GetProperty("used").GetInt32());
        Assert.Equal(253, summary.GetProperty("pools")[0].GetProperty("size").GetInt32());
        Assert.Equal("2026-11-30T10:01:00Z ADD refused: no free address", summary.GetProperty("lastError").GetString());
    }

    [Fact]
    public void Same_state_gives_the_same_report_so_nothing_is_written_again()
    {
        Assert.Equal(Report(Health(), Lease("10.9.0.2", LeaseState.Active)), Report(Health(), Lease("10.9.0.2", LeaseState.Active)));
        Assert.True(Report(Health()).SameCondition(Report(Health(), Lease("10.9.0.2", LeaseState.Active))));
        Assert.False(Report(Health()).SameCondition(Report(Health("not ready: full", "full"))));
    }

    [Fact]
    public void Patch_carries_the_annotation_and_the_condition_with_its_transition_time()
    {
        var report = Report(Health());
        var patch = JsonDocument.Parse(report.Patch(Since, Since.AddHours(1))).RootElement;

        Assert.Equal(report.Summary, patch.GetProperty("metadata").GetProperty("annotations").GetProperty("yurtnet.openyurt.io/status").GetString());
        var condition = Assert.Single(patch.GetProperty("status").GetProperty("conditions").EnumerateArray());
        Assert.Equal("NetworkUnavailable", condition.GetProperty("type").GetString());
        Assert.Equal("False", condition.GetProperty("status").GetString());
        Assert.Equal("YurtnetIsUp", condition.GetProperty("reason").GetString());
        Assert.Equal("2026-11-30T10:00:00Z", condition.GetProperty("lastTransitionTime").GetString());
        Assert.Equal("2026-11-30T11:00:00Z", condition.GetProperty("lastHeartbeatTime").GetString());
    }

    [Fact]
    public void Only_a_node_that_shows_this_write_counts_as_written_not_a_cache_holding_an_earlier_one()
    {
        var report = Report(Health());
        var heartbeat = Since.AddMinutes(5);
        string Node(DateTimeOffset beat) => $$$"""{"metadata":{"name":"gw","annotations":{"yurtnet.openyurt.io/status":{{{System.Text.Json.Nodes.JsonValue.Create(report.Summary).ToJsonString()}}}}},"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"NetworkUnavailable","status":"False","reason":"YurtnetIsUp","message":"{{{report.Message}}}","lastHeartbeatTime":"{{{beat:yyyy-MM-dd'T'HH:mm:ss'Z'}}}"}]}}""";
        var cached = """{"metadata":{"name":"gw"},"status":{"conditions":[{"type":"Ready","status":"True"}]}}""";
        var stale = Node(heartbeat).Replace("\"status\":\"False\"", "\"status\":\"True\"", StringComparison.Ordinal);

        Assert.True(report.ShownBy(JsonDocument.Parse(Node(heartbeat)).RootElement, heartbeat));
        Assert.False(report.ShownBy(JsonDocument.Parse(Node(Since)).RootElement, heartbeat));
        Assert.False(report.ShownBy(JsonDocument.Parse(cached).RootElement, heartbeat));
        Assert.False(report.ShownBy(JsonDocument.Parse(stale).RootElement, heartbeat));
        Assert.False(report.ShownBy(JsonDocument.Parse("""{"kind":"Status","code":404}""").RootElement, heartbeat));
    }
}
