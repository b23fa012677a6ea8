using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Appliance;

internal sealed partial class UplinkCarrier
{
    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "uplink {Uplink}: {State}")]
    private static partial void LogCarrier(ILogger logger, string uplink, string state);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Error, Message = "following uplink {Uplink} failed, retrying in 5 s: {Reason}")]
    private static partial void LogFailed(ILogger logger, string uplink, string reason);
}
