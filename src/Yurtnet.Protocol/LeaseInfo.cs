namespace Yurtnet.Protocol;

/// <summary>A lease as <c>yurtnetctl leases</c> shows it.</summary>
public sealed record LeaseInfo
{
    /// <summary>The address, without prefix.</summary>
    public required string Ip { get; init; }

    /// <summary>The pool it belongs to.</summary>
    public required string Pool { get; init; }

    /// <summary>The CNI network name.</summary>
    public required string Network { get; init; }

    /// <summary><c>pending</c>, <c>active</c> or <c>held</c>.</summary>
    public required string State { get; init; }

    /// <summary>Owner container id (the last one, for a held lease).</summary>
    public required string ContainerId { get; init; }

    /// <summary>Owner interface name.</summary>
    public required string IfName { get; init; }

    /// <summary>Pod namespace/name, when known.</summary>
    public string? Pod { get; init; }

    /// <summary>Pod UID, when known.</summary>
    public string? PodUid { get; init; }

    /// <summary>When the lease entered its current state.</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>For a held lease: when another pod may take the address.</summary>
    public DateTimeOffset? HeldUntil { get; init; }
}
