namespace Yurtnet.Daemon.Cluster;

/// <summary>What yurthub's management port says about the cloud.</summary>
internal enum HubReport
{
    /// <summary>Not asked yet.</summary>
    None,

    /// <summary>The management port did not answer: yurthub is down or restarting.</summary>
    Unreachable,

    /// <summary>yurthub answers but has no health metric yet: it publishes one only after the first change.</summary>
    NoMetric,

    /// <summary><c>node_yurthub_server_healthy_status</c> is 1 for an API server.</summary>
    Healthy,

    /// <summary><c>node_yurthub_server_healthy_status</c> is 0 for every API server.</summary>
    Unhealthy,
}
