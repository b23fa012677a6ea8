using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.State;

internal sealed partial class LeaseKeeper
{
    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "state loaded: {Count} lease(s) from {Path}; boot {BootId}")]
    private static partial void LogLoaded(ILogger logger, int count, string path, string bootId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "{Note} containerId={ContainerId} ifName={IfName}")]
    private static partial void LogDecision(ILogger logger, string containerId, string ifName, string note);
}
