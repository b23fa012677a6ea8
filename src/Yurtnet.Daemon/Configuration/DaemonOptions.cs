using Microsoft.Extensions.Configuration;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.CniApi;
using Yurtnet.Daemon.Metrics;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Configuration;

/// <summary>
/// yurtnetd's settings (<c>/etc/yurtnet/yurtnetd.json</c>, overridable by <c>YURTNETD_*</c> variables): one options
/// record per component, each read and checked by the component's own <c>Read</c>, plus the log format, which is the
/// host's. <see cref="Read(IConfiguration, out List{string})"/> reports every problem of the file at once.
/// </summary>
internal sealed record DaemonOptions
{
    public const string DefaultConfigPath = "/etc/yurtnet/yurtnetd.json";

    /// <summary>The socket and its limits.</summary>
    public CniApiOptions CniApi { get; init; } = new();

    private readonly StateOptions _state = new();

    /// <summary>The state database and lease holds; records pod status for the cluster exactly when there is a cluster link.</summary>
    public StateOptions State
    {
        get => _state with { PodStatusOutbox = Cluster is not null };
        init => _state = value;
    }

    /// <summary>The spool and the reconciler's pace.</summary>
    public ReconcileOptions Reconcile { get; init; } = new();

    /// <summary>Uplink, LEDs, hardware watchdog.</summary>
    public ApplianceOptions Appliance { get; init; } = new();

    /// <summary>The cluster link; null when yurtnetd runs standalone.</summary>
    public ClusterOptions? Cluster { get; init; }

    /// <summary>The NodePool network: routes to the pod CIDRs of the site's other gateways.</summary>
    public PeerNetworkOptions NodePool { get; init; } = new();

    /// <summary>Where the metrics go (an HTTP listener, a node_exporter textfile); nowhere by default.</summary>
    public MetricsOptions Metrics { get; init; } = new();

    /// <summary><c>text</c> or <c>json</c>.</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>Every top-level key, each owned by one component (or, for <c>logFormat</c>, by the host).</summary>
    public static IReadOnlyList<string> Keys { get; } =
        [.. CniApiOptions.Keys, .. StateOptions.Keys, .. ReconcileOptions.Keys, "logFormat", .. ApplianceOptions.Keys, "cluster", "nodePool", .. MetricsOptions.Keys];

    public static DaemonOptions Read(IConfiguration configuration, out List<string> problems) =>
        Read(configuration, Environment.GetEnvironmentVariable("NODE_NAME"), Environment.MachineName, out problems);

    /// <summary>Reads with the node name sources given, for tests.</summary>
    public static DaemonOptions Read(IConfiguration configuration, string? nodeNameVariable, string hostName, out List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        problems = [];
        var settings = new SettingsReader(configuration, problems);
        settings.RejectUnknownKeys(Keys.ToList());
        var cluster = ClusterOptions.Read(settings.Section("cluster"), nodeNameVariable, hostName);
        var state = StateOptions.Read(settings);
        var cniApi = CniApiOptions.Read(settings);
        return new DaemonOptions
        {
            CniApi = cniApi,
            State = state,
            Reconcile = ReconcileOptions.Read(settings, state.StateDir, cniApi.Socket),
            Appliance = ApplianceOptions.Read(settings),
            Cluster = cluster,
            NodePool = PeerNetworkOptions.Read(settings.Section("nodePool"), cluster is not null),
            Metrics = MetricsOptions.Read(settings),
            LogFormat = settings.OneOf("logFormat", "text", ["text", "json"]),
        };
    }
}
