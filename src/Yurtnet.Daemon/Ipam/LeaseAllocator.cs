using System.Net;

namespace Yurtnet.Daemon.Ipam;

/// <summary>
/// The allocation rules, as pure functions from (leases, request, now) to (decision, changes). Nothing here
/// reads a clock, a file or a socket.
/// </summary>
/// <remarks>
/// Policy, in the order it is applied for each address family of an ADD:
/// <list type="number">
/// <item>A repeated ADD for the same container and interface gets the addresses it already has (also those reserved for
/// its host veth when a damaged store was rebuilt without the runtime's cache entry).</item>
/// <item>An address the pod asked for (annotation <c>yurtnet.openyurt.io/ip</c>) is given when it is free or held
/// for this pod; otherwise the ADD is refused with the reason, never silently given another address.</item>
/// <item>Sticky: a lease of the same pod (namespace/name) that is held, or whose attachment belongs to an
/// earlier boot and so cannot be live, goes back to that pod. Pods keep their IP across daemon restarts and
/// offline reboots, which keeps yurthub's cached EndpointSlices right while the cloud is away.</item>
/// <item>Round-robin over free addresses, starting after the last one allocated, so a crash-looping pod does
/// not get an address straight back that its old sandbox may still be using (host-local's reason).</item>
/// <item>Only when nothing is free: the held lease of another pod that was released longest ago.</item>
/// </list>
/// An address is in at most one lease, so no decision can hand out an address twice.
/// </remarks>
internal static class LeaseAllocator
{
    /// <summary>Upper bound on addresses scanned per pool, so a huge IPv6 pool cannot stall an ADD.</summary>
    internal const int MaxScan = 1 << 20;

    public static AllocationOutcome Allocate(LeaseTable table, AllocationRequest request, DateTimeOffset now, string bootId)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(request);
        var changes = new IpamChanges();
        var notes = new List<string>();
        var existing = table.ForAttachment(request.ContainerId, request.IfName)
            .Where(l => l.State != LeaseState.Held && request.Pools.Any(p => p.Cidr == l.Pool))
            .ToList();

        // Addresses reserved for this attachment's host veth when the store was rebuilt without its cache entry: the
        // pod has them on its interface, so they are its own again (a repeated ADD, a runtime's retry).
        var reservation = FoundAttachment.HostVethPrefix + Yurtnet.Protocol.HostVethName.For(request.ContainerId, request.IfName);
        foreach (var reserved in table.All.Where(l => l.ContainerId == reservation && l.State != LeaseState.Held && request.Pools.Any(p => p.Cidr == l.Pool)).ToList())
        {
            if (existing.Any(e => e.Ip.AddressFamily == reserved.Ip.AddressFamily))
            {
                continue;
            }

            var adopted = reserved with
            {
                ContainerId = request.ContainerId, IfName = request.IfName, Network = request.Network, Netns = request.Netns,
                PodNamespace = request.PodNamespace, PodName = request.PodName, PodUid = request.PodUid, PodLocal = request.PodLocal, BootId = bootId,
            };
            changes.Upserts.Add(adopted);
            existing.Add(adopted);
            notes.Add($"{reserved.Ip}, reserved for host veth {reservation[FoundAttachment.HostVethPrefix.Length..]} since the store was rebuilt, is its attachment's again");
        }

        var result = new List<Lease>(existing);
        if (request.RequestedIps.FirstOrDefault(ip => request.Pools.All(p => p.Family != ip.AddressFamily)) is { } orphan)
        {
            return new AllocationOutcome.Refused($"requested address {orphan}: the network has no {(orphan.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} pool ({string.Join(", ", request.Pools.Select(p => p.Cidr))})");
        }

        if (request.RequestedMac is { } mac && table.All.FirstOrDefault(l => l.Network == request.Network && l.State != LeaseState.Held
            && string.Equals(l.Mac, mac, StringComparison.OrdinalIgnoreCase) && (l.ContainerId != request.ContainerId || l.IfName != request.IfName)) is { } owner)
        {
            return new AllocationOutcome.Refused($"requested MAC {mac} is in use on network \"{request.Network}\" by {Owner(owner)} ({owner.State.ToString().ToLowerInvariant()})", OfAddress: false);
        }

        foreach (var family in request.Pools.Select(p => p.Family).Distinct())
        {
            if (existing.Any(l => l.Ip.AddressFamily == family))
            {
                continue;
            }

            var pools = request.Pools.Where(p => p.Family == family).ToList();
            (IPAddress Ip, Pool Pool)? chosen;
            if (request.RequestedIps.FirstOrDefault(ip => ip.AddressFamily == family) is { } wanted)
            {
                if (PickRequested(table, request, pools, wanted) is { } refusal)
                {
                    return refusal;
                }

                chosen = (wanted, pools.First(p => p.Contains(wanted)));
                notes.Add($"{wanted} given as requested");
            }
            else
            {
                chosen = PickSticky(table, request, pools, bootId, notes)
                    ?? PickFree(table, pools, now, changes)
                    ?? PickOldestHeld(table, pools, notes);
            }

            if (chosen is null)
            {
                return new AllocationOutcome.Exhausted(string.Join(", ", pools.Select(p => p.Cidr)));
            }

            var lease = new Lease
            {
                Ip = chosen.Value.Ip,
                Pool = chosen.Value.Pool.Cidr,
                Network = request.Network,
                State = LeaseState.Pending,
                ContainerId = request.ContainerId,
                IfName = request.IfName,
                PodNamespace = request.PodNamespace,
                PodName = request.PodName,
                PodUid = request.PodUid,
                PodLocal = request.PodLocal,
                Netns = request.Netns,
                Mac = request.RequestedMac,
                Since = now,
                BootId = bootId,
            };
            changes.Upserts.Add(lease);
            result.Add(lease);
        }

        // Existing only when the attachment is already committed: a resent ADD whose lease is still pending is the same
        // attempt, which rolls back on failure like any other.
        var committed = result.Count > 0 && existing.Count == result.Count && existing.All(l => l.State == LeaseState.Active);
        return new AllocationOutcome.Allocated(result, committed, changes, notes);
    }

    /// <summary>Null when <paramref name="wanted"/> may be given to the request's pod, else why not.</summary>
    private static AllocationOutcome.Refused? PickRequested(LeaseTable table, AllocationRequest request, List<Pool> pools, IPAddress wanted)
    {
        var pool = pools.FirstOrDefault(p => p.Contains(wanted));
        if (pool is null)
        {
            return new($"requested address {wanted} is not in the network's pools ({string.Join(", ", pools.Select(p => p.Cidr))})");
        }

        if (pool.IsReserved(pool.OffsetOf(wanted)))
        {
            return new($"requested address {wanted} is reserved in {pool.Cidr} (network, gateway or broadcast address)");
        }

        if (!table.TryGet(wanted, out var lease))
        {
            return null;
        }

        return lease.State == LeaseState.Held && lease.SamePod(request)
            ? null
            : new($"requested address {wanted} is in use by {Owner(lease)} ({lease.State.ToString().ToLowerInvariant()})");
    }

    /// <summary>
    /// Makes the attachment's pending leases active and records the pod interface's <paramref name="mac"/> (also on
    /// an active lease whose interface was recreated). Null when the attachment has no lease.
    /// </summary>
    public static IpamChanges? Commit(LeaseTable table, string containerId, string ifName, string? mac, DateTimeOffset now, string bootId)
    {
        ArgumentNullException.ThrowIfNull(table);
        var leases = table.ForAttachment(containerId, ifName).Where(l => l.State != LeaseState.Held).ToList();
        if (leases.Count == 0)
        {
            return null;
        }

        var changes = new IpamChanges();
        foreach (var lease in leases)
        {
            if (lease.State == LeaseState.Pending)
            {
                changes.Upserts.Add(lease with { State = LeaseState.Active, Since = now, BootId = bootId, Mac = mac ?? lease.Mac });
            }
            else if (mac is not null && lease.Mac != mac)
            {
                changes.Upserts.Add(lease with { Mac = mac });
            }
        }

        return changes;
    }

    /// <summary>
    /// Releases the attachment's leases: held for their pod for <paramref name="hold"/>, or freed at once when the
    /// runtime did not name a pod (nobody to keep it for). A <paramref name="rollback"/> of a failed ADD frees only its
    /// pending leases (never used): an active lease belongs to an earlier ADD that succeeded, and its pod uses it.
    /// </summary>
    public static ReleaseOutcome Release(LeaseTable table, string containerId, string ifName, string network, bool rollback, DateTimeOffset now, TimeSpan hold)
    {
        ArgumentNullException.ThrowIfNull(table);
        var changes = new IpamChanges();
        var released = 0;
        foreach (var lease in table.ForAttachment(containerId, ifName).Where(l => rollback ? l.State == LeaseState.Pending : l.State != LeaseState.Held))
        {
            released++;
            if (rollback || lease.PodKey is null || hold <= TimeSpan.Zero)
            {
                changes.Removals.Add(lease.Ip);
            }
            else
            {
                changes.Upserts.Add(lease with { State = LeaseState.Held, Since = now, HeldUntil = now + hold });
            }
        }

        var changed = changes.Upserts.Select(l => l.Ip).Concat(changes.Removals).ToHashSet();
        // A pod known only by its host veth (a store rebuilt after damage) may be on any network: none is idle then.
        var idle = !table.All.Any(l => (l.Network == network || l.OnlyHostVeth) && l.State != LeaseState.Held && !changed.Contains(l.Ip));
        return new ReleaseOutcome(released, idle, changes);
    }

    /// <summary>CNI GC: releases every lease of the network whose attachment is not in <paramref name="valid"/>.</summary>
    public static ReleaseOutcome Gc(LeaseTable table, string network, IReadOnlySet<(string ContainerId, string IfName)> valid, DateTimeOffset now, TimeSpan hold)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(valid);
        var changes = new IpamChanges();
        var released = 0;
        var stale = table.All
            .Where(l => l.Network == network && l.State != LeaseState.Held && !valid.Contains((l.ContainerId, l.IfName)))
            .Select(l => (l.ContainerId, l.IfName))
            .Distinct()
            .ToList();
        foreach (var (containerId, ifName) in stale)
        {
            var outcome = Release(table, containerId, ifName, network, rollback: false, now, hold);
            released += outcome.Released;
            changes.Upserts.AddRange(outcome.Changes.Upserts);
            changes.Removals.AddRange(outcome.Changes.Removals);
        }

        return new ReleaseOutcome(released, false, changes);
    }

    /// <summary>Frees the given leases, each only if it is still exactly as given (not re-added or released meanwhile).</summary>
    public static IpamChanges Free(LeaseTable table, IEnumerable<Lease> leases)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(leases);
        var changes = new IpamChanges();
        changes.Removals.AddRange(leases.Where(l => table.TryGet(l.Ip, out var current) && current == l).Select(l => l.Ip));
        return changes;
    }

    /// <summary>
    /// Frees pending leases that were never committed (older than <paramref name="pendingTimeout"/>, or from an
    /// earlier boot) unless their ADD is still <paramref name="inProgress"/>, and held leases whose hold has expired.
    /// An active lease of an earlier boot belongs to a sandbox that died with that boot and whose DEL never came: it is
    /// held for its pod for <paramref name="hold"/> from now (so the pod gets it back when it is recreated, also through
    /// a requested address), then freed like any other hold; one without a pod is freed at once.
    /// </summary>
    public static ReclaimOutcome Reclaim(LeaseTable table, DateTimeOffset now, string bootId, TimeSpan pendingTimeout, TimeSpan hold, IReadOnlySet<(string ContainerId, string IfName)> inProgress)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(inProgress);
        var changes = new IpamChanges();
        var pending = 0;
        var expired = 0;
        var earlierBoot = 0;
        foreach (var lease in table.All)
        {
            if (lease.State == LeaseState.Pending && (lease.BootId != bootId || now - lease.Since >= pendingTimeout)
                && !(lease.BootId == bootId && inProgress.Contains((lease.ContainerId, lease.IfName))))
            {
                changes.Removals.Add(lease.Ip);
                pending++;
            }
            else if (lease.State == LeaseState.Held && lease.HeldUntil <= now)
            {
                changes.Removals.Add(lease.Ip);
                expired++;
            }
            else if (lease.State == LeaseState.Active && lease.BootId != bootId)
            {
                earlierBoot++;
                if (lease.PodKey is null || hold <= TimeSpan.Zero)
                {
                    changes.Removals.Add(lease.Ip);
                }
                else
                {
                    changes.Upserts.Add(lease with { State = LeaseState.Held, Since = now, HeldUntil = now + hold });
                }
            }
        }

        return new ReclaimOutcome(pending, expired, earlierBoot, changes);
    }

    /// <summary>Who has a lease, for a refusal: the pod, the local container (podman) by its name, or the container id.</summary>
    private static string Owner(Lease lease) =>
        lease.PodKey is not { } key ? $"container {lease.ContainerId}" : lease.PodLocal ? $"container {key}" : $"pod {key}";

    private static (IPAddress Ip, Pool Pool)? PickSticky(LeaseTable table, AllocationRequest request, List<Pool> pools, string bootId, List<string> notes)
    {
        if (request.PodKey is null)
        {
            return null;
        }

        var candidates = table.All
            .Where(l => l.SamePod(request) && pools.Any(p => p.Cidr == l.Pool))
            .Where(l => l.State == LeaseState.Held || l.BootId != bootId)
            .OrderBy(l => l.State == LeaseState.Held ? 0 : 1)
            .ThenByDescending(l => l.Since)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var lease = candidates[0];
        var replacement = request.PodUid is not null && lease.PodUid is not null && lease.PodUid != request.PodUid;
        notes.Add($"sticky: {lease.Ip} returns to {request.PodKey} (was {lease.State.ToString().ToLowerInvariant()} for {lease.ContainerId}{(replacement ? $", pod UID changed from {lease.PodUid}" : "")})");
        return (lease.Ip, pools.First(p => p.Cidr == lease.Pool));
    }

    private static (IPAddress Ip, Pool Pool)? PickFree(LeaseTable table, List<Pool> pools, DateTimeOffset now, IpamChanges changes)
    {
        foreach (var pool in pools)
        {
            var cursor = table.Cursor(pool.Cidr);
            var span = pool.Size;
            var scanned = 0;
            for (UInt128 step = 1; step <= span && scanned < MaxScan; step++, scanned++)
            {
                var offset = (cursor + step) % span;
                if (pool.IsReserved(offset))
                {
                    continue;
                }

                var ip = pool.AddressAt(offset);
                if (table.TryGet(ip, out var holder) && !(holder.State == LeaseState.Held && holder.HeldUntil <= now))
                {
                    continue;
                }

                changes.Cursors[pool.Cidr] = offset;
                return (ip, pool);
            }
        }

        return null;
    }

    private static (IPAddress Ip, Pool Pool)? PickOldestHeld(LeaseTable table, List<Pool> pools, List<string> notes)
    {
        var oldest = table.All
            .Where(l => l.State == LeaseState.Held && pools.Any(p => p.Cidr == l.Pool))
            .OrderBy(l => l.Since)
            .FirstOrDefault();
        if (oldest is null)
        {
            return null;
        }

        notes.Add($"pool full: taking {oldest.Ip}, held for {oldest.PodKey} since {oldest.Since:O} (until {oldest.HeldUntil:O})");
        return (oldest.Ip, pools.First(p => p.Cidr == oldest.Pool));
    }
}
