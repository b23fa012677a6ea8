namespace Yurtnet.Daemon.Cluster;

/// <summary>What our own API requests showed last.</summary>
internal enum ApiEvidence
{
    None,

    /// <summary>Something only a live API server sends: a watch event or bookmark, a write that took effect.</summary>
    Live,

    /// <summary>The request did not get through: connection refused or reset, timeout, 502/503/504.</summary>
    Failed,
}
