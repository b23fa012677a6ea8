using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class CloudHealth
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "cloud is {State}: {Detail}")]
    private static partial void LogTransition(ILogger logger, string state, string detail);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "cloud was {State} since {Since:u} before the restart; shown until yurthub or the API says more")]
    private static partial void LogRestored(ILogger logger, string state, DateTimeOffset since);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "API request did not get through: {What}")]
    private static partial void LogRequestFailed(ILogger logger, string what);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "API answered 401 Unauthorized ({What}); a token rotated or faked while offline is normal right after a reconnect: retrying with backoff")]
    private static partial void LogUnauthorized(ILogger logger, string what);
}
