using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Reconcile;

/// <summary>The spool the plugin writes while the daemon is down, how often the reconciler runs, and where the masquerade lock is.</summary>
internal sealed record ReconcileOptions
{
    /// <summary>The top-level keys of yurtnetd.json that this component reads.</summary>
    public static readonly string[] Keys = ["spoolDir", "reconcileInterval"];

    /// <summary>Directory where the plugin spools releases while the daemon is down (default: <c>spool</c> in the state directory).</summary>
    public string SpoolDir { get; init; } = "/var/lib/yurtnet/spool";

    /// <summary>How often spooled releases, uncommitted leases and expired holds are handled.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The socket's directory, where the plugin keeps the masquerade markers and their lock (<c>masq/</c>), which the
    /// host repair shares.
    /// </summary>
    public string RunDir { get; init; } = "/run/yurtnet";

    /// <param name="settings">The settings file.</param>
    /// <param name="stateDir">The state directory, whose <c>spool</c> folder is the default spool.</param>
    /// <param name="socket">The CNI socket, whose directory is the run directory the plugin derives from its <c>socket</c>.</param>
    public static ReconcileOptions Read(SettingsReader settings, string stateDir, string socket)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var defaults = new ReconcileOptions();
        return new ReconcileOptions
        {
            SpoolDir = settings.AbsolutePath("spoolDir", Path.Combine(stateDir, "spool")),
            RunDir = Path.GetDirectoryName(socket) ?? defaults.RunDir,
            ReconcileInterval = settings.Duration("reconcileInterval", defaults.ReconcileInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
        };
    }
}
