namespace Yurtnet.Daemon.Ipam;

/// <summary>The answer of <see cref="LeaseAllocator.Allocate"/>.</summary>
internal abstract record AllocationOutcome
{
    private AllocationOutcome()
    {
    }

    /// <summary>Addresses given (or found, for a repeated ADD); <see cref="Changes"/> must be persisted before answering.</summary>
    public sealed record Allocated(IReadOnlyList<Lease> Leases, bool Existing, IpamChanges Changes, IReadOnlyList<string> Notes) : AllocationOutcome;

    /// <summary>No address of a family is free in any of its pools.</summary>
    public sealed record Exhausted(string Pools) : AllocationOutcome;

    /// <summary>A requested address cannot be given (outside the pools, reserved, or another pod's); the reason says which.</summary>
    /// <param name="Reason">Why, naming the holder.</param>
    /// <param name="OfAddress">About a requested address (its source is named before it) rather than the MAC.</param>
    public sealed record Refused(string Reason, bool OfAddress = true) : AllocationOutcome;
}
