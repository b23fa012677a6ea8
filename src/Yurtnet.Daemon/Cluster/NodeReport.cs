using System.Text.Json;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// What the Node should say about the pod network: the standard <c>NetworkUnavailable</c> condition (False with
/// <c>YurtnetIsUp</c> while ADD is served, True with the reason when it is not, as Calico and Cilium set it) and the
/// <c>yurtnet.openyurt.io/status</c> annotation with a summary (version, leases, pool use, peers, last error). Pure:
/// made from snapshots, written by <see cref="NodeStatusReporter"/>.
/// </summary>
internal sealed record NodeReport(bool Unavailable, string Reason, string Message, string Summary)
{
    public const string ConditionType = "NetworkUnavailable";
    public const string Annotation = "yurtnet.openyurt.io/status";

    public static NodeReport From(HealthInfo health, IReadOnlyList<Lease> leases, IReadOnlyList<string> nodePools, IReadOnlyList<PeerInfo> peers, string version)
    {
        ArgumentNullException.ThrowIfNull(health);
        // The health model's CNI state is "starting", "ready", or "not ready" because of the store.
        var (unavailable, reason, message) = health.Cni switch
        {
            "ready" => (false, "YurtnetIsUp", "yurtnet serves the pod network"),
            "starting" => (true, "YurtnetStarting", "yurtnetd is starting"),
            _ => (true, "YurtnetStoreUnavailable", $"yurtnetd cannot make pod addresses durable, new pods get none: store {health.Store}"),
        };
        return new NodeReport(unavailable, reason, message, Summarize(health, leases, nodePools, peers, version));
    }

    /// <summary>Whether the condition itself (not its message, not the counts) differs: such a change is written at once.</summary>
    public bool SameCondition(NodeReport other) => other is not null && Unavailable == other.Unavailable && Reason == other.Reason;

    /// <summary>The strategic merge patch of the Node's status subresource: the annotation and the one condition, merged by type.</summary>
    public byte[] Patch(DateTimeOffset since, DateTimeOffset now)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteStartObject("annotations");
            json.WriteString(Annotation, Summary);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("status");
            json.WriteStartArray("conditions");
            json.WriteStartObject();
            json.WriteString("type", ConditionType);
            json.WriteString("status", Unavailable ? "True" : "False");
            json.WriteString("reason", Reason);
            json.WriteString("message", Message);
            json.WriteString("lastTransitionTime", KubeObject.Rfc3339(since));
            json.WriteString("lastHeartbeatTime", KubeObject.Rfc3339(now));
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>
    /// Whether a Node object shows this report as written at <paramref name="heartbeat"/>: the annotation and the
    /// condition's status, reason, message and heartbeat. Offline, yurthub answers a PATCH with 200 and its cached,
    /// unchanged Node: that is not a delivery, even when the cache holds the same report from an earlier write.
    /// </summary>
    public bool ShownBy(JsonElement node, DateTimeOffset heartbeat)
    {
        if (KubeObject.Annotation(node, Annotation) != Summary
            || !node.TryGetProperty("status", out var status) || !status.TryGetProperty("conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        // The heartbeat is the time of this very write: a Node cached before it cannot show it.
        return conditions.EnumerateArray().Any(c =>
            Text(c, "type") == ConditionType && Text(c, "status") == (Unavailable ? "True" : "False") && Text(c, "reason") == Reason && Text(c, "message") == Message
            && Text(c, "lastHeartbeatTime") == KubeObject.Rfc3339(heartbeat));
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>One line of JSON, keys in a fixed order, nothing that changes by itself (no times but the last error's).</summary>
    private static string Summarize(HealthInfo health, IReadOnlyList<Lease> leases, IReadOnlyList<string> nodePools, IReadOnlyList<PeerInfo> peers, string version)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("version", version);
            json.WriteStartObject("leases");
            json.WriteNumber("active", leases.Count(l => l.State == LeaseState.Active));
            json.WriteNumber("pending", leases.Count(l => l.State == LeaseState.Pending));
            json.WriteNumber("held", leases.Count(l => l.State == LeaseState.Held));
            json.WriteEndObject();
            json.WriteStartArray("pools");
            foreach (var pool in PoolUse.Of(leases, nodePools))
            {
                json.WriteStartObject();
                json.WriteString("pool", pool.Cidr);
                json.WriteNumber("used", pool.Used);
                if (pool.Capacity is { } capacity && capacity <= long.MaxValue)
                {
                    json.WriteNumber("size", (long)capacity);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("peers");
            json.WriteNumber("routed", peers.Count(p => p.State == "routed"));
            json.WriteNumber("notRouted", peers.Count(p => p.State != "routed"));
            json.WriteEndObject();
            if (health.LastFailure is { } failure)
            {
                json.WriteString("lastError", failure);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
