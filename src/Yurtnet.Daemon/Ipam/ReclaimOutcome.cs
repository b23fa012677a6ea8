namespace Yurtnet.Daemon.Ipam;

/// <summary>The answer of <see cref="LeaseAllocator.Reclaim"/>.</summary>
internal sealed record ReclaimOutcome(int PendingReclaimed, int HoldsExpired, IpamChanges Changes);
