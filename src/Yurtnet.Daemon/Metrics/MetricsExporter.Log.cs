using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Metrics;

internal sealed partial class MetricsExporter
{
    [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "metrics served on {Url}")]
    private static partial void LogListening(ILogger logger, string url);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Error, Message = "metrics listener on {Endpoint} could not start ({Reason}); trying again in {Seconds} s (metrics.listen: another port, or stop what holds it)")]
    private static partial void LogListenFailed(ILogger logger, string endpoint, string reason, double seconds);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "metrics textfile {Path} cannot be written: {Problem}; trying again at each interval")]
    private static partial void LogTextfileFailed(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "metrics textfile {Path} written again")]
    private static partial void LogTextfileWritten(ILogger logger, string path);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "metrics textfile {Path} could not be removed at stop ({Reason}): node_exporter shows its last numbers until it is")]
    private static partial void LogTextfileNotRemoved(ILogger logger, string path, string reason);
}
