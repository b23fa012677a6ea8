using System.Net;
using CsCheck;
using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.Tests.Ipam;

/// <summary>
/// Random sequences of what happens to a gateway (ADDs that commit or are abandoned, DELs, reclaim passes, CNI GC,
/// holds running out, daemon restarts, reboots) against a model that only knows which attachments are live: after
/// every step, no address is in two live attachments and no live attachment has lost its lease.
/// </summary>
public sealed class LeaseModelTests
{
    private static readonly Pool SmallPool = Pool.TryParse("10.5.0.0/28", out var pool, out _) ? pool : throw new InvalidOperationException();
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan PendingTimeout = TimeSpan.FromMinutes(2);

    private enum Step
    {
        AddAndCommit,
        AddWithRequestedAddress,
        AddAbandoned,
        AddInProgress,
        CommitInProgress,
        Del,
        Reclaim,
        Gc,
        Restart,
        Reboot,
    }

    private sealed class World
    {
        public LeaseTable Table = new();
        public DateTimeOffset Now = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);
        public int Boot;
        public int Containers;
        public readonly Dictionary<string, (string Pod, List<IPAddress> Ips)> Live = [];
        public readonly Dictionary<string, (string Pod, List<IPAddress> Ips)> Pending = [];
        public readonly HashSet<(string, string)> InProgress = [];

        public string BootId => $"boot-{Boot}";

        public AllocationOutcome Allocate(string container, int pod, IPAddress? requested) => LeaseAllocator.Allocate(Table, new AllocationRequest
        {
            ContainerId = container,
            IfName = "eth0",
            Network = "edge",
            PodNamespace = "shop",
            PodName = $"pod-{pod}",
            Pools = [SmallPool],
            RequestedIps = requested is null ? [] : [requested],
        }, Now, BootId);
    }

    /// <summary>Runs one step; returns a broken rule about how an address was chosen, or null.</summary>
    private static string? Apply(World world, Step step, int pod, int pick)
    {
        var freeBefore = Enumerable.Range(2, 13).Select(i => SmallPool.AddressAt((UInt128)i))
            .Count(ip => !world.Table.TryGet(ip, out var l) || (l.State == LeaseState.Held && l.HeldUntil <= world.Now));
        var heldBefore = world.Table.All.Where(l => l.State == LeaseState.Held && l.HeldUntil > world.Now).ToDictionary(l => l.Ip, l => l.PodKey);
        string? Taken(List<Lease> leases, string pod) =>
            leases.Select(l => heldBefore.TryGetValue(l.Ip, out var holder) && holder != pod && freeBefore > 0 ? $"{l.Ip} held for {holder} was given to {pod} while {freeBefore} address(es) were free" : null).FirstOrDefault(b => b is not null);
        switch (step)
        {
            case Step.AddAndCommit or Step.AddWithRequestedAddress:
            {
                var container = $"c{world.Containers++}";
                var requested = step == Step.AddWithRequestedAddress ? SmallPool.AddressAt((UInt128)(2 + (pick % 13))) : null;
                if (world.Allocate(container, pod, requested) is AllocationOutcome.Allocated allocated)
                {
                    world.Table.Apply(allocated.Changes);
                    world.Table.Apply(LeaseAllocator.Commit(world.Table, container, "eth0", null, world.Now, world.BootId)!);
                    world.Live[container] = ($"shop/pod-{pod}", allocated.Leases.Select(l => l.Ip).ToList());
                    return requested is null ? Taken([.. allocated.Leases], $"shop/pod-{pod}") : null;
                }

                break;
            }

            case Step.AddAbandoned:
            {
                var container = $"c{world.Containers++}";
                if (world.Allocate(container, pod, null) is AllocationOutcome.Allocated allocated)
                {
                    world.Table.Apply(allocated.Changes);
                }

                break;
            }

            case Step.AddInProgress:
            {
                var container = $"c{world.Containers++}";
                if (world.Allocate(container, pod, null) is AllocationOutcome.Allocated allocated)
                {
                    world.Table.Apply(allocated.Changes);
                    world.Pending[container] = ($"shop/pod-{pod}", allocated.Leases.Select(l => l.Ip).ToList());
                    world.InProgress.Add((container, "eth0"));
                    return Taken([.. allocated.Leases], $"shop/pod-{pod}");
                }

                break;
            }

            case Step.CommitInProgress when world.Pending.Count > 0:
            {
                var container = world.Pending.Keys.Order(StringComparer.Ordinal).ElementAt(pick % world.Pending.Count);
                world.Table.Apply(LeaseAllocator.Commit(world.Table, container, "eth0", null, world.Now, world.BootId)!);
                world.Live[container] = world.Pending[container];
                world.Pending.Remove(container);
                world.InProgress.Remove((container, "eth0"));
                break;
            }

            case Step.Del when world.Live.Count > 0:
            {
                var container = world.Live.Keys.Order(StringComparer.Ordinal).ElementAt(pick % world.Live.Count);
                world.Table.Apply(LeaseAllocator.Release(world.Table, container, "eth0", "edge", rollback: false, world.Now, Hold).Changes);
                world.Live.Remove(container);
                break;
            }

            case Step.Reclaim:
                world.Now += TimeSpan.FromMinutes(pick % 15);
                world.Table.Apply(LeaseAllocator.Reclaim(world.Table, world.Now, world.BootId, PendingTimeout, Hold, world.InProgress).Changes);
                break;

            case Step.Gc:
                world.Table.Apply(LeaseAllocator.Gc(world.Table, "edge", world.Live.Keys.Concat(world.Pending.Keys).Select(c => (c, "eth0")).ToHashSet(), world.Now, Hold).Changes);
                break;

            case Step.Restart:
                world.Table = new LeaseTable(world.Table.All.ToList(), world.Table.Cursors.ToList());
                break;

            case Step.Reboot:
                world.Boot++;
                world.Live.Clear();
                world.Pending.Clear();
                world.InProgress.Clear();
                world.Table.Apply(LeaseAllocator.Reclaim(world.Table, world.Now, world.BootId, PendingTimeout, Hold, world.InProgress).Changes);
                break;
        }

        return null;
    }

    private static string? Broken(World world)
    {
        var owners = new Dictionary<IPAddress, string>();
        foreach (var (container, (_, ips)) in world.Live.Concat(world.Pending))
        {
            foreach (var ip in ips)
            {
                if (owners.TryGetValue(ip, out var other))
                {
                    return $"{ip} is in {other} and {container}";
                }

                owners[ip] = container;
                var expected = world.Live.ContainsKey(container) ? LeaseState.Active : LeaseState.Pending;
                if (!world.Table.TryGet(ip, out var lease) || lease.ContainerId != container || lease.State != expected)
                {
                    return $"live {container} lost its lease of {ip}: {(lease is null ? "none" : $"{lease.ContainerId} {lease.State}")}";
                }
            }
        }

        return null;
    }

    [Fact]
    public void No_sequence_of_events_puts_an_address_in_two_pods_or_loses_a_live_pods_lease()
    {
        Gen.Select(Gen.Enum<Step>(), Gen.Int[0, 6], Gen.Int[0, 1000]).Array[1, 80].Sample(steps =>
        {
            var world = new World();
            foreach (var (step, pod, pick) in steps)
            {
                if ((Apply(world, step, pod, pick) ?? Broken(world)) is { } broken)
                {
                    throw new InvalidOperationException($"after {step}: {broken}");
                }
            }
        }, iter: 3_000);
    }
}
