using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Reconcile;

internal sealed partial class HostRepair
{
    [LoggerMessage(EventId = 5020, Level = LogLevel.Warning, Message = "host repair: {What}")]
    private static partial void LogRepaired(ILogger logger, string what);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "host repair: \"{What}\" cannot be repaired now: {Reason}")]
    private static partial void LogProblem(ILogger logger, string what, string reason);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Information, Message = "host repair: \"{What}\" is in order again")]
    private static partial void LogProblemGone(ILogger logger, string what);
}
