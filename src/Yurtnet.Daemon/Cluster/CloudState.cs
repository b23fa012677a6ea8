namespace Yurtnet.Daemon.Cluster;

/// <summary>Whether the cloud (the API server behind yurthub) can be reached.</summary>
internal enum CloudState
{
    Unknown,
    Online,
    Offline,
}
