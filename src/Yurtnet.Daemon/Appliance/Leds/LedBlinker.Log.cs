using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Appliance.Leds;

internal sealed partial class LedBlinker
{
    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "LED {Name}: {Role} on {Backend}")]
    private static partial void LogOpened(ILogger logger, string name, LedRole role, string backend);

    [LoggerMessage(EventId = 6302, Level = LogLevel.Error, Message = "LED {Name} not used: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string name, string reason);
}
