namespace Yurtnet.Protocol;

/// <summary>The NodePool network's last comparison of the kernel with the peer table.</summary>
public sealed record PeerSyncInfo
{
    /// <summary>What started it: <c>start</c>, <c>resync</c> (the interval) or <c>change</c> (of the table or this node).</summary>
    public required string Why { get; init; }

    public DateTimeOffset At { get; init; }

    /// <summary>How long it took, lookups and changes together.</summary>
    public double Milliseconds { get; init; }

    /// <summary>Kernel entries added or removed by it.</summary>
    public int Changes { get; init; }

    /// <summary>Syncs since yurtnetd started, this one included.</summary>
    public int Count { get; init; }

    /// <summary>Why the kernel could not be brought in line (no CAP_NET_ADMIN, a kernel that refuses); null when it was.</summary>
    public string? Error { get; init; }
}
