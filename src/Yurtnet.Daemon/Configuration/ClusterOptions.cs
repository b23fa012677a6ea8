namespace Yurtnet.Daemon.Configuration;

/// <summary>
/// The <c>cluster</c> section: how yurtnetd reaches Kubernetes through the node's yurthub. Without it yurtnetd runs
/// standalone and the pools come from the conflists.
/// </summary>
internal sealed record ClusterOptions
{
    /// <summary>yurthub's TLS proxy on its dummy interface; <c>http://127.0.0.1:10261</c> is the plain fallback.</summary>
    public static readonly Uri DefaultServer = new("https://169.254.2.1:10268");

    /// <summary>This node's name: <c>nodeName</c>, else the <c>NODE_NAME</c> variable, else the host name.</summary>
    public required string NodeName { get; init; }

    /// <summary>The API server, as yurthub proxies it.</summary>
    public Uri Server { get; init; } = DefaultServer;

    /// <summary>The cluster CA that signs yurthub's serving certificate (for an https server).</summary>
    public string? CaFile { get; init; }

    /// <summary>The ServiceAccount token (yurtnet's own, never the node's), re-read when it changes.</summary>
    public string? TokenFile { get; init; }

    /// <summary>A kubeconfig to take server, CA and credentials from instead.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Use the pod's in-cluster configuration (yurtnetd running in a pod).</summary>
    public bool InCluster { get; init; }

    /// <summary>yurthub's management port: readiness and the cloud health metric.</summary>
    public Uri HubManagement { get; init; } = new("http://127.0.0.1:10267");

    /// <summary>How long one watch request stays open (the server's <c>timeoutSeconds</c>).</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often yurthub's health metric is read.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the live API server must show a pod gone (or replaced) before its lease is released and its
    /// undelivered status dropped: room for a watch event still on its way, or a StatefulSet pod being recreated.
    /// </summary>
    public TimeSpan GcGrace { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Requests per second to the API (token bucket), watches excepted.</summary>
    public double Qps { get; init; } = 5;

    /// <summary>Burst of the token bucket.</summary>
    public int Burst { get; init; } = 10;
}
