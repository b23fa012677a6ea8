namespace Yurtnet.Daemon.Ipam;

/// <summary>The answer of <see cref="LeaseAllocator.Release"/>: how many leases changed, and whether the network is now idle.</summary>
internal sealed record ReleaseOutcome(int Released, bool NetworkIdle, IpamChanges Changes)
{
    /// <summary>The store could not be written: the release is kept in memory and written when it can be.</summary>
    public bool Deferred { get; init; }
}
