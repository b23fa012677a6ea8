using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Reconcile;

internal sealed partial class SpoolDrain
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "spooled release applied: containerId={ContainerId} ifName={IfName} network={Network} released={Released} spooledAt={SpooledAt:O}")]
    private static partial void LogApplied(ILogger logger, string containerId, string ifName, string network, int released, DateTimeOffset spooledAt);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "spool file {File} is unreadable and was set aside with suffix {Suffix}: {Reason}")]
    private static partial void LogSetAside(ILogger logger, string file, string suffix, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "spool file {File} ({Problem}) could not be set aside: {Reason}; it is skipped")]
    private static partial void LogNotSetAside(ILogger logger, string file, string problem, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "removed {File}: a spool write a plugin never finished (its DEL failed and the runtime retries it)")]
    private static partial void LogAbandonedWrite(ILogger logger, string file);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "removed {File}: the package's removal mark, left by a removal that did not finish (yurtnetd runs, so the package is installed)")]
    private static partial void LogStaleRemovalMarker(ILogger logger, string file);
}
