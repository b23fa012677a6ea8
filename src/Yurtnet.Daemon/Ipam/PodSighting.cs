namespace Yurtnet.Daemon.Ipam;

/// <summary>What the pod watch last saw of the pod an ADD is for.</summary>
/// <param name="Uid">Its <c>metadata.uid</c>.</param>
/// <param name="RequestedIp">Its <c>yurtnet.openyurt.io/ip</c> annotation, or null.</param>
/// <param name="Fresh">Whether the view was confirmed by the live API server (not only yurthub's cache).</param>
internal sealed record PodSighting(string Uid, string? RequestedIp, bool Fresh);
