using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class StatusOutbox
{
    [LoggerMessage(EventId = 4050, Level = LogLevel.Information, Message = "{Count} pod status annotation(s) waiting in the outbox from before the restart")]
    private static partial void LogPending(ILogger logger, int count);

    [LoggerMessage(EventId = 4051, Level = LogLevel.Debug, Message = "pod {Pod}: network-status delivered ({Age} after it was decided)")]
    private static partial void LogDelivered(ILogger logger, string pod, TimeSpan age);

    [LoggerMessage(EventId = 4052, Level = LogLevel.Information, Message = "pod {Pod}: network-status answered {Code} without the change (yurthub answering offline from its cache); kept, retrying with backoff")]
    private static partial void LogNotApplied(ILogger logger, string pod, int code);

    [LoggerMessage(EventId = 4053, Level = LogLevel.Information, Message = "pod {Pod}: network-status dropped: {Reason}")]
    private static partial void LogDropped(ILogger logger, string pod, string reason);

    [LoggerMessage(EventId = 4054, Level = LogLevel.Error, Message = "pod {Pod}: network-status patch refused with {Code}: {Body} (check yurtnet's RBAC: pods patch); retrying with backoff")]
    private static partial void LogRefused(ILogger logger, string pod, int code, string body);
}
