using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Appliance;

internal sealed partial class SystemdNotifications
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "ready (systemd notify {Enabled}, watchdog every {Seconds:0.###} s)")]
    private static partial void LogReady(ILogger logger, bool enabled, double seconds);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "not alive: {Summary}; watchdog keep-alives withheld: {Withheld}")]
    private static partial void LogNotAlive(ILogger logger, string summary, bool withheld);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "alive again: {Summary}")]
    private static partial void LogAliveAgain(ILogger logger, string summary);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "systemd notify socket {Socket} refuses ({Reason}): status and keep-alives are not reaching systemd; yurtnetd serves on")]
    private static partial void LogNotifyFailed(ILogger logger, string socket, string reason);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "systemd notify socket works again")]
    private static partial void LogNotifyWorks(ILogger logger);
}
