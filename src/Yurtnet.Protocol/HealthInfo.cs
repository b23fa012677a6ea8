namespace Yurtnet.Protocol;

/// <summary>The daemon's health inputs, as <c>yurtnetctl status</c> shows them.</summary>
public sealed record HealthInfo
{
    /// <summary>Uplink carrier: <c>up</c>, <c>down</c>, <c>missing</c> (no such interface) or <c>not configured</c>.</summary>
    public required string Uplink { get; init; }

    /// <summary>The uplink interface name, when configured.</summary>
    public string? UplinkInterface { get; init; }

    /// <summary>Cloud link: <c>online</c>, <c>offline</c>, <c>unknown</c> or <c>standalone</c>.</summary>
    public required string Cloud { get; init; }

    /// <summary>What the cloud state rests on and since when (e.g. <c>yurthub reports the API server unhealthy, since 12:01:07Z</c>).</summary>
    public string? CloudDetail { get; init; }

    /// <summary>CNI readiness: <c>ready</c> (serving, store writable), <c>starting</c>, or why not.</summary>
    public string Cni { get; init; } = "";

    /// <summary>Store: <c>ok</c>, or what is wrong.</summary>
    public required string Store { get; init; }

    /// <summary>Liveness: the last self-check's summary.</summary>
    public required string Liveness { get; init; }

    /// <summary>True while the last self-check passed.</summary>
    public required bool Alive { get; init; }

    /// <summary>ADD failures in the last ten minutes.</summary>
    public int RecentFailures { get; init; }

    /// <summary>The most recent failure, when there was one.</summary>
    public string? LastFailure { get; init; }

    /// <summary>systemd's watchdog: keep-alive interval, or off.</summary>
    public required string SystemdWatchdog { get; init; }

    /// <summary>The hardware watchdog: its state, or <c>not configured</c>.</summary>
    public required string HardwareWatchdog { get; init; }
}
