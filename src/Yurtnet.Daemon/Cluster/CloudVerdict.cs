namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// The pure rule behind the cloud state. yurthub's metric decides when it exists. Without it (yurthub publishes it
/// only after the first change) our own traffic decides, and only traffic that yurthub cannot fake counts as
/// online: offline, yurthub answers lists from its cache and writes with fake success, but it never sends a watch
/// event. A 401 is evidence of nothing (a token rotated while offline); readyz is no cloud signal at all.
/// </summary>
internal static class CloudVerdict
{
    public static (CloudState State, string Detail) Decide(HubReport hub, ApiEvidence api) => (hub, api) switch
    {
        (HubReport.Healthy, _) => (CloudState.Online, "yurthub reports the API server healthy"),
        (HubReport.Unhealthy, _) => (CloudState.Offline, "yurthub reports the API server unhealthy"),
        (HubReport.Unreachable, ApiEvidence.Failed) => (CloudState.Offline, "yurthub does not answer on its management port and API requests fail"),
        (_, ApiEvidence.Live) => (CloudState.Online, "the API server's watch is live"),
        (_, ApiEvidence.Failed) => (CloudState.Offline, "API requests through yurthub fail"),
        (HubReport.Unreachable, _) => (CloudState.Unknown, "yurthub does not answer on its management port"),
        _ => (CloudState.Unknown, "no evidence yet (yurthub publishes its health metric only after the first change)"),
    };

    /// <summary>Reads <c>node_yurthub_server_healthy_status</c> from a Prometheus text exposition.</summary>
    public static HubReport FromMetrics(string exposition)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        var seen = false;
        foreach (var rawLine in exposition.Split('\n'))
        {
            var line = rawLine.Trim();
            if (!line.StartsWith("node_yurthub_server_healthy_status", StringComparison.Ordinal)
                || line.Length == "node_yurthub_server_healthy_status".Length
                || line["node_yurthub_server_healthy_status".Length] is not ('{' or ' '))
            {
                continue;
            }

            var value = line[(line.LastIndexOf(' ') + 1)..];
            if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number))
            {
                continue;
            }

            if (number >= 1)
            {
                return HubReport.Healthy;
            }

            seen = true;
        }

        return seen ? HubReport.Unhealthy : HubReport.NoMetric;
    }
}
