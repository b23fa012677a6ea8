namespace Yurtnet.Daemon.Configuration;

/// <summary>yurtnetd's settings (<c>/etc/yurtnet/yurtnetd.json</c>, overridable by <c>YURTNETD_*</c> variables).</summary>
internal sealed record DaemonOptions
{
    public const string DefaultConfigPath = "/etc/yurtnet/yurtnetd.json";

    /// <summary>The Unix socket the plugin and the CLI talk to.</summary>
    public string Socket { get; init; } = "/run/yurtnet/cni.sock";

    /// <summary>Directory of the state database.</summary>
    public string StateDir { get; init; } = "/var/lib/yurtnet";

    /// <summary>Directory where the plugin spools releases while the daemon is down.</summary>
    public string SpoolDir { get; init; } = "/var/lib/yurtnet/spool";

    /// <summary>How long a released address stays reserved for its pod.</summary>
    public TimeSpan LeaseHold { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an allocated address may stay uncommitted before it is reclaimed.</summary>
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the reconciler reclaims and drains the spool.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadline for one request, from its first byte to its answer.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections served at once; more wait in the socket's backlog.</summary>
    public int MaxConcurrentRequests { get; init; } = 32;

    /// <summary>Largest request frame accepted.</summary>
    public int MaxFrameBytes { get; init; } = Protocol.FrameCodec.DefaultMaxFrameBytes;

    /// <summary>User ids allowed to use the socket.</summary>
    public IReadOnlyList<uint> AllowedUids { get; init; } = [0];

    /// <summary><c>text</c> or <c>json</c>.</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>The uplink interface whose carrier is a health input, or null.</summary>
    public string? Uplink { get; init; }

    /// <summary>Status LEDs.</summary>
    public IReadOnlyList<LedOptions> Leds { get; init; } = [];

    /// <summary>The hardware watchdog yurtnetd drives, or null when the section is absent.</summary>
    public WatchdogOptions? Watchdog { get; init; }

    /// <summary>The cluster link; null when yurtnetd runs standalone.</summary>
    public ClusterOptions? Cluster { get; init; }
}
