using System.Net;
using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// The pure rule of cluster-driven GC: a lease is released because its pod is gone only when the cloud is online,
/// the pod view is the live server's (<see cref="PodView.Fresh"/>), that view has not had the pod (or has it under
/// another UID) for a whole grace period, and the address is on no live interface. Anything less (offline, a cached
/// list, a pod missing for a moment) releases nothing: DEL and hold expiry still do their part.
/// </summary>
internal static class GcVerdict
{
    /// <summary>
    /// Leases whose pod the view lacks (or shows with another UID); pending leases are the reconciler's, and a local
    /// container's lease (podman) is never a Kubernetes pod's to miss.
    /// </summary>
    public static IEnumerable<Lease> Orphans(IEnumerable<Lease> leases, IReadOnlyDictionary<string, PodFacts> pods)
    {
        ArgumentNullException.ThrowIfNull(leases);
        ArgumentNullException.ThrowIfNull(pods);
        return leases.Where(l => l.State != LeaseState.Pending && l.KubernetesPodKey is { } key
            && (!pods.TryGetValue(key, out var pod) || (l.PodUid is not null && l.PodUid != pod.Uid)));
    }

    /// <summary>
    /// Advances the "missing since" clock of each lease and returns the leases due for release (still to be checked
    /// against live interfaces). Without an online cloud and a fresh view every clock stops and starts over.
    /// </summary>
    public static List<Lease> Due(IEnumerable<Lease> leases, IReadOnlyDictionary<string, PodFacts> pods, bool online, bool fresh, Dictionary<IPAddress, (Lease Lease, DateTimeOffset Since)> missing, DateTimeOffset now, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(missing);
        if (!online || !fresh)
        {
            missing.Clear();
            return [];
        }

        var orphans = Orphans(leases, pods).ToList();
        var current = orphans.Select(l => l.Ip).ToHashSet();
        foreach (var ip in missing.Keys.Where(ip => !current.Contains(ip)).ToList())
        {
            missing.Remove(ip);
        }

        var due = new List<Lease>();
        foreach (var lease in orphans)
        {
            // A lease that changed (re-added, released) starts its clock again.
            if (!missing.TryGetValue(lease.Ip, out var seen) || seen.Lease != lease)
            {
                missing[lease.Ip] = (lease, now);
                continue;
            }

            if (now - seen.Since >= grace)
            {
                due.Add(lease);
            }
        }

        return due;
    }
}
