using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class NodeStatusReporter
{
    [LoggerMessage(EventId = 4080, Level = LogLevel.Information, Message = "node condition NetworkUnavailable={Status} ({Reason}: {Message}); written to the Node once the cloud is online")]
    private static partial void LogDecided(ILogger logger, string status, string reason, string message);

    [LoggerMessage(EventId = 4081, Level = LogLevel.Information, Message = "node {Node}: NetworkUnavailable={Status} ({Reason}) and the yurtnet status annotation written, read back from the API server")]
    private static partial void LogWritten(ILogger logger, string node, string status, string reason);

    [LoggerMessage(EventId = 4082, Level = LogLevel.Warning, Message = "node {Node}: the status patch was answered without the change (yurthub answering from its cache); kept, sent again later")]
    private static partial void LogNotApplied(ILogger logger, string node);

    [LoggerMessage(EventId = 4083, Level = LogLevel.Error, Message = "node {Node}: the status patch was refused ({Code}: {Body}); check the ClusterRole (nodes/status patch)")]
    private static partial void LogRefused(ILogger logger, string node, int code, string body);
}
