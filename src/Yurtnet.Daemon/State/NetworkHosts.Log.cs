using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.State;

internal sealed partial class NetworkHosts
{
    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "network \"{Network}\": the plugin reported a host shape that cannot be used for repairs ({Problem}); ignored")]
    private static partial void LogInvalid(ILogger logger, string network, string problem);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning, Message = "network \"{Network}\": its host shape is kept in memory until the store takes it: {Reason}")]
    private static partial void LogNotStored(ILogger logger, string network, string reason);
}
