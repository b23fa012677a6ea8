namespace Yurtnet.Daemon.Configuration;

/// <summary>The <c>watchdog</c> section: the board's hardware watchdog, driven by yurtnetd.</summary>
internal sealed record WatchdogOptions
{
    /// <summary>The watchdog device.</summary>
    public string Device { get; init; } = "/dev/watchdog";

    /// <summary>Timeout asked of the driver; keep-alives come at a third of what it grants.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When true, a clean stop leaves the watchdog armed (no magic close).</summary>
    public bool NoWayOut { get; init; }
}
