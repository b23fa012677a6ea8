using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.State;

internal sealed partial class HostEvidence
{

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "CNI result cache file {File} skipped: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "cannot read the host's links ({Reason}): every cached attachment counts as live")]
    private static partial void LogNoNetlink(ILogger logger, string reason);
}
