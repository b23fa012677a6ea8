using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// The <c>cluster</c> section: how yurtnetd reaches Kubernetes through the node's yurthub. Without it yurtnetd runs
/// standalone and the pools come from the conflists.
/// </summary>
internal sealed record ClusterOptions
{
    /// <summary>The keys of the section.</summary>
    public static readonly string[] Keys =
        ["nodeName", "server", "caFile", "tokenFile", "kubeconfig", "inCluster", "hubManagement", "watchTimeout", "healthInterval", "gcGrace", "qps", "burst", "nodeStatusInterval"];

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

    /// <summary>
    /// The least time between two writes of the Node's status that change only its counts (the
    /// <c>yurtnet.openyurt.io/status</c> annotation): a burst of pods is one write. A flip of NetworkUnavailable is
    /// written at once.
    /// </summary>
    public TimeSpan NodeStatusInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests per second to the API (token bucket), watches excepted.</summary>
    public double Qps { get; init; } = 5;

    /// <summary>Burst of the token bucket.</summary>
    public int Burst { get; init; } = 10;

    /// <summary>Reads the <c>cluster</c> section; null when it is absent (standalone).</summary>
    /// <param name="section">The section.</param>
    /// <param name="nodeNameVariable">The <c>NODE_NAME</c> environment variable, the fallback for <c>nodeName</c>.</param>
    /// <param name="hostName">The host name, the last fallback.</param>
    public static ClusterOptions? Read(SettingsReader section, string? nodeNameVariable, string hostName)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(hostName);
        if (!section.Exists)
        {
            return null;
        }

        section.RejectUnknownKeys(Keys);
        var nodeName = section.Text("nodeName") ?? (nodeNameVariable is { Length: > 0 } variable ? variable : hostName.ToLowerInvariant());
        if (!IsDnsSubdomain(nodeName))
        {
            section.Problem("nodeName", $"\"{nodeName}\" is not a Kubernetes node name (lower-case letters, digits, '-' and '.'); set cluster.nodeName or NODE_NAME");
        }

        var defaults = new ClusterOptions { NodeName = nodeName };
        var options = new ClusterOptions
        {
            NodeName = nodeName,
            Server = section.HttpUri("server", defaults.Server),
            CaFile = section.OptionalAbsolutePath("caFile"),
            TokenFile = section.OptionalAbsolutePath("tokenFile"),
            Kubeconfig = section.OptionalAbsolutePath("kubeconfig"),
            InCluster = section.Boolean("inCluster", false),
            HubManagement = section.HttpUri("hubManagement", defaults.HubManagement),
            WatchTimeout = section.Duration("watchTimeout", defaults.WatchTimeout, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1)),
            HealthInterval = section.Duration("healthInterval", defaults.HealthInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
            GcGrace = section.Duration("gcGrace", defaults.GcGrace, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)),
            NodeStatusInterval = section.Duration("nodeStatusInterval", defaults.NodeStatusInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(24)),
            Qps = section.Number("qps", defaults.Qps, 0, 1000, "a number of requests per second"),
            Burst = section.Integer("burst", defaults.Burst, 1, 1000),
        };
        CheckCredentials(section, options);
        return options;
    }

    /// <summary>One source of credentials, and a complete one: yurthub must never act with the node's own identity.</summary>
    private static void CheckCredentials(SettingsReader section, ClusterOptions options)
    {
        var direct = section.Text("server") is not null || options.TokenFile is not null;
        if ((direct ? 1 : 0) + (options.Kubeconfig is null ? 0 : 1) + (options.InCluster ? 1 : 0) > 1)
        {
            section.Problem("server/tokenFile, kubeconfig and inCluster are alternatives", "set one of them");
        }

        if (options.Kubeconfig is not null || options.InCluster)
        {
            return;
        }

        if (options.Server.Scheme == "https" && options.CaFile is null)
        {
            section.Problem("caFile", $"required for {options.Server} (the cluster CA that signs yurthub's certificate, e.g. /etc/kubernetes/pki/ca.crt)");
        }

        if (options.TokenFile is null)
        {
            section.Problem("tokenFile", "required (yurtnet's ServiceAccount token; without one yurthub would act with the node's own identity)");
        }
    }

    private static bool IsDnsSubdomain(string name) =>
        name.Length is > 0 and <= 253
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);
}
