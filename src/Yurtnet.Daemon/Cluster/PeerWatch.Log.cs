using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class PeerWatch
{
    [LoggerMessage(EventId = 4070, Level = LogLevel.Warning, Message = "node {Node} has no {Label} label (yet): no NodePool peers to watch until it has one (nodePool.scope: cluster or a label selector needs none)")]
    private static partial void LogNoPool(ILogger logger, string node, string label);

    [LoggerMessage(EventId = 4071, Level = LogLevel.Information, Message = "peers: watching the Nodes selected by {Selector}")]
    private static partial void LogWatching(ILogger logger, string selector);

    [LoggerMessage(EventId = 4072, Level = LogLevel.Information, Message = "peer {Peer} (pool {Pool}) learned from the cluster")]
    private static partial void LogPeerSeen(ILogger logger, string peer, string pool);

    [LoggerMessage(EventId = 4073, Level = LogLevel.Warning, Message = "peer {Peer} withdrawn: the live API server no longer has it in this node's scope")]
    private static partial void LogPeerWithdrawn(ILogger logger, string peer);

    [LoggerMessage(EventId = 4074, Level = LogLevel.Error, Message = "the peer table could not be stored ({Problem}); the routes follow the cluster all the same, and the table is stored with the next change")]
    private static partial void LogNotStored(ILogger logger, string problem);
}
