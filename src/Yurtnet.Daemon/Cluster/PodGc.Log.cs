using System.Net;
using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class PodGc
{
    [LoggerMessage(EventId = 4060, Level = LogLevel.Warning, Message = "released {Ip}: the API server has not had pod {Pod} on this node (or has it under another UID) for {Grace}; the lease was {State} and its address is on no live interface")]
    private static partial void LogFreed(ILogger logger, IPAddress ip, string pod, string state, TimeSpan grace);

    [LoggerMessage(EventId = 4061, Level = LogLevel.Warning, Message = "keeping {Ip}: pod {Pod} is gone from the API server but {Reason}; it is released by the runtime's DEL or once that namespace is gone")]
    private static partial void LogStillLive(ILogger logger, IPAddress ip, string pod, string reason);

    [LoggerMessage(EventId = 4062, Level = LogLevel.Error, Message = "cluster GC pass failed, will retry: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
