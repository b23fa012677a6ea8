using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Peers;

internal sealed partial class PeerNetwork
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "NodePool network on: {Settings}; {Stored} peer(s) from the cluster kept in the store")]
    private static partial void LogStarting(ILogger logger, string settings, int stored);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "peer routes in line after {Why}: {Routed} of {Known} peer(s) routed, {Changes} kernel change(s)")]
    private static partial void LogSynced(ILogger logger, string why, int routed, int known, int changes);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "peer {Peer} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Error, Message = "cannot program the peer routes ({Why}): {Reason} (yurtnetd needs CAP_NET_ADMIN for the NodePool network: see the unit file); trying again at the next resync")]
    private static partial void LogSyncFailed(ILogger logger, string why, string reason);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "NodePool network off: removed {Count} route(s) and device(s) yurtnet had installed")]
    private static partial void LogRemovedOff(ILogger logger, int count);
}
