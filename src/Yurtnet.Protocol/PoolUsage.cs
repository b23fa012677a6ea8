namespace Yurtnet.Protocol;

/// <summary>Usage of one pool.</summary>
public sealed record PoolUsage
{
    /// <summary>The pool CIDR.</summary>
    public required string Pool { get; init; }

    /// <summary>Addresses in leases (any state).</summary>
    public required long Used { get; init; }

    /// <summary>Addresses that can be allocated (capped for huge IPv6 pools).</summary>
    public required string Capacity { get; init; }
}
