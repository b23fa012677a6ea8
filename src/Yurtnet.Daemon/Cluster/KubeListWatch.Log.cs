using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class KubeListWatch
{
    [LoggerMessage(EventId = 4010, Level = LogLevel.Debug, Message = "{Path}: watch expired (410 Gone); listing again")]
    private static partial void LogRelist(ILogger logger, string path);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "{Path}: {Problem}; listing again in {Seconds:0.0} s")]
    private static partial void LogRetry(ILogger logger, string path, string problem, double seconds);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Error, Message = "{Path}: refused: {Problem} (check yurtnet's RBAC and yurthub's cache_agents); trying again in {Seconds:0.0} s")]
    private static partial void LogRefused(ILogger logger, string path, string problem, double seconds);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Information, Message = "{Path}: listing again from the live API server")]
    private static partial void LogRelistRequested(ILogger logger, string path);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Debug, Message = "{Path}: watch silent past its timeout; watching again")]
    private static partial void LogSilentWatchCut(ILogger logger, string path);
}
