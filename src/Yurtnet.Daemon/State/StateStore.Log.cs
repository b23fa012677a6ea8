using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.State;

internal sealed partial class StateStore
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Critical, Message = "state database {Path} could not be read and was moved to {MovedTo}; starting with a new one ({Reason}); leases are rebuilt from what the host still knows")]
    private static partial void LogCorruptStore(ILogger logger, string path, string movedTo, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Critical, Message = "store {Problem}. ADD is refused until it can be written; DEL is kept in memory; running pods are not touched")]
    private static partial void LogWriteFailed(ILogger logger, string problem);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "state database {Path} opened again after a failed write: what is on disk is what counts")]
    private static partial void LogReopened(ILogger logger, string path);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "state database {Path} takes writes again (it was {Problem})")]
    private static partial void LogRecovered(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error, Message = "{Collection} document {Id} of {Path} cannot be read and was quarantined ({Reason}); the rest of the store is used")]
    private static partial void LogQuarantined(ILogger logger, string collection, string id, string reason, string path);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Error, Message = "this LiteDB does not keep its transactions where yurtnetd looks for them: after a write that fails (a full card), a garbage collection may end yurtnetd; systemd restarts it. Install the LiteDB version yurtnet was built with")]
    private static partial void LogTransactionsUnreachable(ILogger logger);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Information, Message = "state database {Path} migrated from format {From} to format {To}")]
    private static partial void LogMigrated(ILogger logger, string path, int from, int to);
}
