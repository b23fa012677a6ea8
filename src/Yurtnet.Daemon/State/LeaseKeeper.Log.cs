using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.State;

internal sealed partial class LeaseKeeper
{
    [LoggerMessage(EventId = 3022, Level = LogLevel.Error, Message = "the store was damaged and what the host knows of running pods could not be read ({Reason}): ADD is refused until it can, so that no address is given twice")]
    private static partial void LogEvidenceUnreadable(ILogger logger, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "state loaded: {Count} lease(s) from {Path}; boot {BootId}")]
    private static partial void LogLoaded(ILogger logger, int count, string path, string bootId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "{Note} containerId={ContainerId} ifName={IfName}")]
    private static partial void LogDecision(ILogger logger, string containerId, string ifName, string note);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "release of containerId={ContainerId} ifName={IfName} is kept in memory until the store takes writes again: {Problem}")]
    private static partial void LogDeferred(ILogger logger, string containerId, string ifName, string problem);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "release of containerId={ContainerId} ifName={IfName} kept while the store was unavailable is now written ({Released} lease(s))")]
    private static partial void LogDeferredApplied(ILogger logger, string containerId, string ifName, int released);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "{Count} lease(s) reloaded from {Path} after it was opened again: only what reached the disk counts")]
    private static partial void LogReloaded(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "rebuilt from the host: {Note}")]
    private static partial void LogRebuilt(ILogger logger, string note);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Error, Message = "{Count} lease(s) found on the host could not be rebuilt: {Problem}; tried again before each decision")]
    private static partial void LogRebuildFailed(ILogger logger, int count, string problem);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Error, Message = "leases cannot be read from {Path}: {Problem}; no address is given until they can")]
    private static partial void LogNotLoaded(ILogger logger, string path, string problem);
}
