using System.Net;

namespace Yurtnet.Daemon.Ipam;

/// <summary>
/// Rebuilds leases from what the host still knows, for a store that was damaged, quarantined a lease, or was lost:
/// every address a live attachment has is an active lease again, and the address of an attachment that is gone is
/// held for its pod (so it comes back to it). An address already leased is never leased a second time: a clash is
/// reported, and the lease in the store wins. Pure: the evidence is gathered by <c>State.HostEvidence</c>.
/// </summary>
internal static class RecoveryPlanner
{
    public static (IpamChanges Changes, IReadOnlyList<string> Notes) Plan(LeaseTable table, IEnumerable<FoundAttachment> found, DateTimeOffset now, string bootId, TimeSpan hold)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(found);
        var changes = new IpamChanges();
        var notes = new List<string>();
        var taken = new Dictionary<IPAddress, FoundAttachment>();
        // Attachments that are plumbed now come first: a sandbox that is gone (its address only held for its pod)
        // never keeps an address from the pod that has it on its interface.
        foreach (var attachment in found.OrderBy(a => a.Plumbed ? 0 : 1))
        {
            foreach (var (address, prefix) in attachment.Addresses)
            {
                if (table.TryGet(address, out var lease))
                {
                    if (!attachment.OnlyHostVeth && (lease.ContainerId != attachment.ContainerId || lease.IfName != attachment.IfName))
                    {
                        notes.Add($"{address} of container {attachment.ContainerId} {attachment.IfName} is leased to container {lease.ContainerId} {lease.IfName} in the store: kept as it is");
                    }

                    continue;
                }

                if (taken.TryGetValue(address, out var first))
                {
                    notes.Add($"{address} is claimed by containers {first.ContainerId} and {attachment.ContainerId} in the runtime's cache: given to the first only");
                    continue;
                }

                var podKnown = attachment.PodNamespace is not null && attachment.PodName is not null;
                if (!attachment.Plumbed && (!podKnown || hold <= TimeSpan.Zero))
                {
                    continue;
                }

                taken[address] = attachment;
                changes.Upserts.Add(new Lease
                {
                    Ip = address,
                    Pool = PoolOf(address, prefix),
                    Network = attachment.Network,
                    State = attachment.Plumbed ? LeaseState.Active : LeaseState.Held,
                    ContainerId = attachment.ContainerId,
                    IfName = attachment.IfName,
                    PodNamespace = attachment.PodNamespace,
                    PodName = attachment.PodName,
                    PodUid = attachment.PodUid,
                    PodLocal = attachment.PodLocal,
                    Netns = attachment.Netns,
                    Since = now,
                    HeldUntil = attachment.Plumbed ? null : now + hold,
                    BootId = bootId,
                });
                notes.Add($"{address} rebuilt as {(attachment.Plumbed ? "active" : "held")} for container {attachment.ContainerId} {attachment.IfName}" +
                    (podKnown ? $" (pod {attachment.PodNamespace}/{attachment.PodName})" : ""));
            }
        }

        return (changes, notes);
    }

    /// <summary>The pool an address was given from: the address with its host bits cleared, as the pool's CIDR text.</summary>
    internal static string PoolOf(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPNetwork(new IPAddress(bytes), prefix).ToString();
    }
}
