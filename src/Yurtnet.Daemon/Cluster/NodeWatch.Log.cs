using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class NodeWatch
{
    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "node {Node}: pod CIDRs {Cidrs} (kept from {ObservedAt:u}) until the cluster says otherwise")]
    private static partial void LogCached(ILogger logger, string node, string cidrs, DateTimeOffset observedAt);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "node {Node}: pod CIDRs {Cidrs} learned from the cluster; networks without ipam.subnets allocate from them")]
    private static partial void LogLearned(ILogger logger, string node, string cidrs);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Critical, Message = "node {Node}: pod CIDRs CHANGED from {Old} to {New}. New pods get addresses from the new CIDRs; {Stranded} existing lease(s) in the old ones keep their addresses (pods are never moved silently): recreate those pods to renumber them")]
    private static partial void LogChanged(ILogger logger, string node, string old, string @new, int stranded);

    [LoggerMessage(EventId = 4023, Level = LogLevel.Warning, Message = "node {Node} has no spec.podCIDRs yet (is the controller-manager's --allocate-node-cidrs on?); networks without ipam.subnets cannot allocate")]
    private static partial void LogNoCidrs(ILogger logger, string node);

    [LoggerMessage(EventId = 4024, Level = LogLevel.Warning, Message = "node {Node} is not in the cluster's node list; check cluster.nodeName (or NODE_NAME)")]
    private static partial void LogNodeMissing(ILogger logger, string node);

    [LoggerMessage(EventId = 4025, Level = LogLevel.Error, Message = "node {Node}: ignoring pod CIDR {Problem}")]
    private static partial void LogBadCidr(ILogger logger, string node, string problem);

    [LoggerMessage(EventId = 4026, Level = LogLevel.Warning, Message = "node {Node} moved from NodePool {Old} to {New}: its peers are now the Nodes of {New} (the old pool's are withdrawn once the live API server lists the new pool)")]
    private static partial void LogPoolChanged(ILogger logger, string node, string old, string @new);
}
