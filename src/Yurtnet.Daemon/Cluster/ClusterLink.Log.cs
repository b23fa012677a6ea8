using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

internal sealed partial class ClusterLink
{
    [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "cluster link for node {Node} through {Server}; yurthub health from {Hub}")]
    private static partial void LogStarting(ILogger logger, string node, string server, Uri hub);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Error, Message = "cluster link not started: {Problem}. Pods are still served; networks without ipam.subnets use the pod CIDRs last learned, if any")]
    private static partial void LogNotStarted(ILogger logger, string problem);

    [LoggerMessage(EventId = 4033, Level = LogLevel.Error, Message = "cluster link: {Part} failed: {Problem}; starting it again in {Seconds:0.0} s (pods are still served)")]
    private static partial void LogPartFailed(ILogger logger, string part, string problem, double seconds, Exception exception);

    [LoggerMessage(EventId = 4032, Level = LogLevel.Warning, Message = "cloud state not recorded in the store: {Problem}")]
    private static partial void LogNotPersisted(ILogger logger, string problem);
}
