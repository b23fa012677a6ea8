using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class PodWatch
{
    [LoggerMessage(EventId = 4040, Level = LogLevel.Debug, Message = "pods of this node listed: {Count}, from {Source}")]
    private static partial void LogListed(ILogger logger, int count, string source);
}
