using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.State;

/// <summary>Where the state lives and how long leases are kept for their pods.</summary>
internal sealed record StateOptions
{
    /// <summary>The top-level keys of yurtnetd.json that this component reads.</summary>
    public static readonly string[] Keys = ["stateDir", "leaseHold", "pendingTimeout", "cniResultsDir"];

    /// <summary>Directory of the state database.</summary>
    public string StateDir { get; init; } = "/var/lib/yurtnet";

    /// <summary>How long a released address stays reserved for its pod.</summary>
    public TimeSpan LeaseHold { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an allocated address may stay uncommitted before it is reclaimed.</summary>
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The runtime's CNI result cache (libcni: containerd, CRI-O, podman), read at start to rebuild the leases of
    /// attachments the store does not know (a damaged or lost store).
    /// </summary>
    public string CniResultsDir { get; init; } = "/var/lib/cni/results";

    /// <summary>
    /// Whether each committed ADD also records the pod's network status for the cluster (the outbox). Not a key:
    /// <see cref="Configuration.DaemonOptions.State"/> sets it when a cluster link is configured, since standalone
    /// there is nobody to tell.
    /// </summary>
    public bool PodStatusOutbox { get; init; }

    public static StateOptions Read(SettingsReader settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var defaults = new StateOptions();
        return new StateOptions
        {
            StateDir = settings.AbsolutePath("stateDir", defaults.StateDir),
            LeaseHold = settings.Duration("leaseHold", defaults.LeaseHold, TimeSpan.Zero, TimeSpan.FromDays(30)),
            PendingTimeout = settings.Duration("pendingTimeout", defaults.PendingTimeout, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1)),
            CniResultsDir = settings.AbsolutePath("cniResultsDir", defaults.CniResultsDir),
        };
    }
}
