using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.State;

internal sealed partial class StateStore
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Critical, Message = "state database {Path} could not be read and was moved to {MovedTo}; starting with an empty one ({Reason}). Leases of running pods come back as they are re-added.")]
    private static partial void LogCorruptStore(ILogger logger, string path, string movedTo, string reason);
}
