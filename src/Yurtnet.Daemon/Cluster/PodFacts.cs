namespace Yurtnet.Daemon.Cluster;

/// <summary>What the cluster says about one pod on this node.</summary>
/// <param name="Key"><c>namespace/name</c>.</param>
/// <param name="Uid">Its <c>metadata.uid</c>.</param>
/// <param name="NetworkStatus">Its <c>k8s.v1.cni.cncf.io/network-status</c> annotation, or null.</param>
/// <param name="RequestedIp">Its <c>yurtnet.openyurt.io/ip</c> annotation, or null.</param>
internal sealed record PodFacts(string Key, string Uid, string? NetworkStatus, string? RequestedIp);
