namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="PeersRequest"/>.</summary>
public sealed record PeersResponse : Response
{
    /// <summary>Whether the NodePool network is on (<c>nodePool.enabled</c>).</summary>
    public bool Enabled { get; init; }

    /// <summary>Every peer known, routed or not.</summary>
    public required IReadOnlyList<PeerInfo> Peers { get; init; }

    /// <summary>The last sync of the kernel with the table; null before the first.</summary>
    public PeerSyncInfo? LastSync { get; init; }
}
