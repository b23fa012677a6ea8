namespace Yurtnet.Daemon.Ipam;

/// <summary>The answer of <see cref="LeaseAllocator.Reclaim"/>.</summary>
/// <param name="PendingReclaimed">Pending leases freed: never committed in time, or from an earlier boot.</param>
/// <param name="HoldsExpired">Held leases freed because their hold ran out.</param>
/// <param name="EarlierBootHeld">Active leases of an earlier boot (their DEL never came) now held for their pod.</param>
/// <param name="Changes">What to persist.</param>
internal sealed record ReclaimOutcome(int PendingReclaimed, int HoldsExpired, int EarlierBootHeld, IpamChanges Changes)
{
    /// <summary>Nothing reclaimed (also: the reclaim could not run).</summary>
    public static ReclaimOutcome None => new(0, 0, 0, new IpamChanges());
}
