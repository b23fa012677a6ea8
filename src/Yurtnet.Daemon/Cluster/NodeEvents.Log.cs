using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class NodeEvents
{
    [LoggerMessage(EventId = 4085, Level = LogLevel.Information, Message = "event {Reason} (count {Count}) on the Node: {Message}")]
    private static partial void LogSent(ILogger logger, string reason, int count, string message);

    [LoggerMessage(EventId = 4086, Level = LogLevel.Error, Message = "event {Reason} was refused ({Code}: {Body}); check the ClusterRole (events create, patch)")]
    private static partial void LogRefused(ILogger logger, string reason, int code, string body);
}
