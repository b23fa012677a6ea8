using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Reconcile;

internal sealed partial class Reconciler
{
    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "reconcile: {Drained} spooled release(s) applied, {Pending} uncommitted lease(s) reclaimed, {Expired} hold(s) expired, {EarlierBoot} lease(s) of an earlier boot held for their pods")]
    private static partial void LogPass(ILogger logger, int drained, int pending, int expired, int earlierBoot);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Error, Message = "reconcile pass failed, will retry: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
