using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.PodStatus;

/// <summary>
/// The pure rule that keeps the outbox in step with the leases: after a lease change, each pod it touches wants the
/// status its active leases now describe. A changed status replaces the pod's entry (latest wins, so a burst of
/// changes is one patch); a pod left without an active lease needs no patch, and its undelivered entry is dropped.
/// </summary>
internal static class OutboxPlan
{
    public static OutboxChanges For(LeaseTable table, IpamChanges changes, IReadOnlyDictionary<string, OutboxEntry> outbox, long nextSequence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(outbox);
        var plan = new OutboxChanges();
        // Only Kubernetes pods have an annotation to write; a local container's lease touches no entry.
        var touched = changes.Upserts.Select(l => l.KubernetesPodKey)
            .Concat(changes.Removals.Select(ip => table.TryGet(ip, out var lease) ? lease.KubernetesPodKey : null))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        var changed = changes.Upserts.Select(l => l.Ip).Concat(changes.Removals).ToHashSet();
        foreach (var pod in touched)
        {
            var after = table.All.Where(l => l.KubernetesPodKey == pod && !changed.Contains(l.Ip)).Concat(changes.Upserts.Where(l => l.KubernetesPodKey == pod)).ToList();
            var status = NetworkStatus.For(after);
            outbox.TryGetValue(pod, out var queued);
            if (status is null)
            {
                if (queued is not null)
                {
                    plan.Removals.Add(pod);
                }
            }
            else if (queued?.Status != status)
            {
                var uid = after.Where(l => l.State == LeaseState.Active).Select(l => l.PodUid).FirstOrDefault(u => u is not null);
                plan.Upserts.Add(new OutboxEntry(pod, uid, status, nextSequence++, now));
            }
        }

        return plan;
    }
}
