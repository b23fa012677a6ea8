using System.Globalization;

namespace Yurtnet.Daemon.Appliance;

/// <summary>systemd's request for keep-alives (WatchdogSec=): ping at half of WATCHDOG_USEC, or never when Interval is null.</summary>
internal sealed record WatchdogRequest(TimeSpan? Interval)
{
    public static WatchdogRequest FromEnvironment(Func<string, string?> getenv, int pid)
    {
        ArgumentNullException.ThrowIfNull(getenv);
        if (!long.TryParse(getenv("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0)
        {
            return new WatchdogRequest((TimeSpan?)null);
        }

        // WATCHDOG_PID names the process systemd watches; a child that inherited the variables must stay silent.
        if (getenv("WATCHDOG_PID") is { Length: > 0 } forPid && forPid != pid.ToString(CultureInfo.InvariantCulture))
        {
            return new WatchdogRequest((TimeSpan?)null);
        }

        return new WatchdogRequest(TimeSpan.FromTicks(usec * 10 / 2));
    }
}
