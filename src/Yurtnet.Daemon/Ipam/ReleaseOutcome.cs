namespace Yurtnet.Daemon.Ipam;

/// <summary>The answer of <see cref="LeaseAllocator.Release"/>: how many leases changed, and whether the network is now idle.</summary>
internal sealed record ReleaseOutcome(int Released, bool NetworkIdle, IpamChanges Changes);
