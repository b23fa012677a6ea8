using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Appliance;

internal sealed partial class HardwareWatchdog
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Error, Message = "hardware watchdog not used: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "hardware watchdog {Device} armed: asked {Requested} s, driver granted {Granted} s; keep-alive every {Period:0.#} s while alive (nowayout {NoWayOut})")]
    private static partial void LogArmed(ILogger logger, string device, double requested, int granted, double period, bool noWayOut);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Critical, Message = "hardware watchdog {Device}: keep-alives withheld because the daemon is not alive ({Summary}); the board resets within {Granted} s unless it recovers")]
    private static partial void LogWithheld(ILogger logger, string device, string summary, int granted);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Warning, Message = "hardware watchdog {Device}: alive again, keep-alives resumed")]
    private static partial void LogResumed(ILogger logger, string device);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Warning, Message = "hardware watchdog {Device} left armed (nowayout): the board resets unless yurtnetd starts again in time")]
    private static partial void LogLeftArmed(ILogger logger, string device);
}
