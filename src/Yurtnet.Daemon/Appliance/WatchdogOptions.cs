using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Appliance;

/// <summary>The <c>watchdog</c> section: the board's hardware watchdog, driven by yurtnetd.</summary>
internal sealed record WatchdogOptions
{
    /// <summary>The keys of the section.</summary>
    public static readonly string[] Keys = ["device", "timeout", "nowayout"];

    /// <summary>The watchdog device.</summary>
    public string Device { get; init; } = "/dev/watchdog";

    /// <summary>Timeout asked of the driver; keep-alives come at a third of what it grants.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When true, a clean stop leaves the watchdog armed (no magic close).</summary>
    public bool NoWayOut { get; init; }

    /// <summary>Reads the section; null when it is absent (yurtnetd then leaves the watchdog alone).</summary>
    public static WatchdogOptions? Read(SettingsReader section)
    {
        ArgumentNullException.ThrowIfNull(section);
        if (!section.Exists)
        {
            return null;
        }

        section.RejectUnknownKeys(Keys);
        var defaults = new WatchdogOptions();
        return new WatchdogOptions
        {
            Device = section.AbsolutePath("device", defaults.Device),
            Timeout = section.Duration("timeout", defaults.Timeout, TimeSpan.FromSeconds(2), TimeSpan.FromHours(1)),
            NoWayOut = section.Boolean("nowayout", defaults.NoWayOut),
        };
    }
}
