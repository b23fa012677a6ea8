using Yurtnet.Daemon.Appliance.Leds;
using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Appliance;

/// <summary>What the box has around the daemon: its uplink, its status LEDs and its hardware watchdog.</summary>
internal sealed record ApplianceOptions
{
    /// <summary>The top-level keys of yurtnetd.json that this component reads.</summary>
    public static readonly string[] Keys = ["uplink", "leds", "watchdog"];

    /// <summary>The uplink interface whose carrier is a health input, or null.</summary>
    public string? Uplink { get; init; }

    /// <summary>Status LEDs.</summary>
    public IReadOnlyList<LedOptions> Leds { get; init; } = [];

    /// <summary>The hardware watchdog yurtnetd drives, or null when the section is absent.</summary>
    public WatchdogOptions? Watchdog { get; init; }

    public static ApplianceOptions Read(SettingsReader settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ApplianceOptions
        {
            Uplink = ReadUplink(settings),
            Leds = LedOptions.ReadList(settings, "leds"),
            Watchdog = WatchdogOptions.Read(settings.Section("watchdog")),
        };
    }

    private static string? ReadUplink(SettingsReader settings)
    {
        if (settings.Text("uplink") is not { } uplink)
        {
            return null;
        }

        if (Yurtnet.Netlink.InterfaceName.Problem(uplink) is { } problem)
        {
            settings.Problem("uplink", problem);
            return null;
        }

        return uplink;
    }
}
