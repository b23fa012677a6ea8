using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Reconcile;

internal sealed partial class SpoolDrain
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "spooled release applied: containerId={ContainerId} ifName={IfName} network={Network} released={Released} spooledAt={SpooledAt:O}")]
    private static partial void LogApplied(ILogger logger, string containerId, string ifName, string network, int released, DateTimeOffset spooledAt);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "spool file {File} is unreadable and was set aside with suffix .unreadable: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string file, string reason);
}
