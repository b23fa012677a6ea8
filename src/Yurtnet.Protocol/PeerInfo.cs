namespace Yurtnet.Protocol;

/// <summary>A peer gateway as <c>yurtnetctl peers</c> shows it.</summary>
public sealed record PeerInfo
{
    /// <summary>Node name.</summary>
    public required string Node { get; init; }

    /// <summary>NodePool, when known.</summary>
    public string? Pool { get; init; }

    /// <summary>Its pod CIDRs.</summary>
    public required IReadOnlyList<string> PodCidrs { get; init; }

    /// <summary>Its underlay addresses.</summary>
    public required IReadOnlyList<string> Addresses { get; init; }

    /// <summary><c>hostgw</c>, <c>vxlan</c>, or <c>-</c> when not routed.</summary>
    public required string Mode { get; init; }

    /// <summary><c>routed</c>, <c>refused: why</c> or <c>failed: why</c>.</summary>
    public required string State { get; init; }

    /// <summary><c>static</c> or <c>cluster</c>.</summary>
    public required string Source { get; init; }

    /// <summary>Since when it is known with these CIDRs and addresses.</summary>
    public DateTimeOffset Since { get; init; }
}
