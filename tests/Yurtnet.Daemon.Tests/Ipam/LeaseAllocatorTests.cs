using System.Net;
using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.Tests.Ipam;

public sealed class LeaseAllocatorTests
{
    private const string Boot = "boot-1";
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);
    private static readonly HashSet<(string, string)> NoneInProgress = [];

    private static Pool P(string cidr) => Pool.TryParse(cidr, out var p, out var problem) ? p : throw new ArgumentException(problem);

    private static AllocationRequest Req(string container, string? pod = null, params string[] pools) => new()
    {
        ContainerId = container,
        IfName = "eth0",
        Network = "edge",
        PodNamespace = pod is null ? null : "shop",
        PodName = pod,
        Pools = (pools.Length == 0 ? ["10.22.0.0/24"] : pools).Select(P).ToList(),
    };

    /// <summary>Allocates and applies, as LeaseKeeper does after persisting.</summary>
    private static List<Lease> Add(LeaseTable table, AllocationRequest request, DateTimeOffset? now = null, string boot = Boot)
    {
        var outcome = Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, request, now ?? T0, boot));
        table.Apply(outcome.Changes);
        table.Apply(LeaseAllocator.Commit(table, request.ContainerId, request.IfName, null, now ?? T0, boot)!);
        return [.. outcome.Leases];
    }

    private static void Del(LeaseTable table, string container, DateTimeOffset? now = null) =>
        table.Apply(LeaseAllocator.Release(table, container, "eth0", "edge", rollback: false, now ?? T0, Hold).Changes);

    [Fact]
    public void First_address_skips_network_and_gateway()
    {
        var lease = Assert.Single(Add(new LeaseTable(), Req("c1")));

        Assert.Equal(IPAddress.Parse("10.22.0.2"), lease.Ip);
        Assert.Equal(LeaseState.Pending, lease.State);
    }

    [Fact]
    public void Allocation_is_round_robin_not_lowest_free()
    {
        var table = new LeaseTable();
        Add(table, Req("c1"));
        Del(table, "c1");
        table.Apply(LeaseAllocator.Reclaim(table, T0 + Hold, Boot, TimeSpan.FromMinutes(2), Hold, NoneInProgress).Changes);

        var second = Assert.Single(Add(table, Req("c2")));

        Assert.Equal(IPAddress.Parse("10.22.0.3"), second.Ip);
    }

    [Fact]
    public void Broadcast_address_is_never_allocated_and_pool_wraps_around()
    {
        var table = new LeaseTable();
        var ips = Enumerable.Range(0, 5).Select(i => Assert.Single(Add(table, Req($"c{i}", null, "10.9.0.0/29"))).Ip.ToString()).ToList();

        Assert.Equal(["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"], ips);
        Assert.IsType<AllocationOutcome.Exhausted>(LeaseAllocator.Allocate(table, Req("c9", null, "10.9.0.0/29"), T0, Boot));
    }

    [Fact]
    public void Repeated_add_for_the_same_attachment_returns_the_same_addresses()
    {
        var table = new LeaseTable();
        var first = Add(table, Req("c1", "web-0", "10.22.0.0/24", "fd00:22::/64"));

        var again = Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("c1", "web-0", "10.22.0.0/24", "fd00:22::/64"), T0, Boot));

        Assert.True(again.Existing);
        Assert.True(again.Changes.IsEmpty);
        Assert.Equal(first.Select(l => l.Ip), again.Leases.Select(l => l.Ip));
    }

    [Fact]
    public void Dual_stack_gives_one_address_of_each_family()
    {
        var leases = Add(new LeaseTable(), Req("c1", null, "10.22.0.0/24", "fd00:22::/64"));

        Assert.Equal(["10.22.0.2", "fd00:22::2"], leases.Select(l => l.Ip.ToString()));
    }

    [Fact]
    public void Second_subnet_of_a_family_is_overflow()
    {
        var table = new LeaseTable();
        for (var i = 0; i < 5; i++)
        {
            Add(table, Req($"c{i}", null, "10.9.0.0/29", "10.9.1.0/29"));
        }

        var overflow = Assert.Single(Add(table, Req("c5", null, "10.9.0.0/29", "10.9.1.0/29")));

        Assert.Equal(IPAddress.Parse("10.9.1.2"), overflow.Ip);
    }

    [Fact]
    public void Add_for_restarted_pod_returns_its_previous_ip()
    {
        var table = new LeaseTable();
        Add(table, Req("c-other-1", "other"));
        var first = Assert.Single(Add(table, Req("c1", "web-0")));
        Del(table, "c1");

        var again = Assert.Single(Add(table, Req("c2", "web-0"), T0 + TimeSpan.FromMinutes(1)));

        Assert.Equal(first.Ip, again.Ip);
        Assert.Equal("c2", again.ContainerId);
    }

    [Fact]
    public void Held_lease_is_not_given_to_another_pod_while_addresses_are_free()
    {
        var table = new LeaseTable();
        var held = Assert.Single(Add(table, Req("c1", "web-0")));
        Del(table, "c1");

        for (var i = 0; i < 20; i++)
        {
            Assert.NotEqual(held.Ip, Assert.Single(Add(table, Req($"x{i}", $"other-{i}"))).Ip);
        }
    }

    [Fact]
    public void Full_pool_takes_the_held_lease_released_longest_ago()
    {
        var table = new LeaseTable();
        var pool = "10.9.0.0/29";
        for (var i = 0; i < 5; i++)
        {
            Add(table, Req($"c{i}", $"pod{i}", pool));
        }

        Del(table, "c3", T0 + TimeSpan.FromMinutes(1));
        Del(table, "c1", T0 + TimeSpan.FromMinutes(2));

        var taken = Assert.Single(Add(table, Req("new", "newcomer", pool), T0 + TimeSpan.FromMinutes(3)));

        Assert.Equal(IPAddress.Parse("10.9.0.5"), taken.Ip);
    }

    [Fact]
    public void Expired_hold_counts_as_free()
    {
        var table = new LeaseTable();
        for (var i = 0; i < 5; i++)
        {
            Add(table, Req($"c{i}", $"pod{i}", "10.9.0.0/29"));
        }

        Del(table, "c2");

        var after = Assert.Single(Add(table, Req("n", "newcomer", "10.9.0.0/29"), T0 + Hold + TimeSpan.FromSeconds(1)));

        Assert.Equal(IPAddress.Parse("10.9.0.4"), after.Ip);
    }

    [Fact]
    public void Active_lease_of_the_same_pod_from_an_earlier_boot_returns_to_it()
    {
        var table = new LeaseTable();
        var before = Assert.Single(Add(table, Req("old-sandbox", "web-0"), T0, "boot-0"));

        var after = Assert.Single(Add(table, Req("new-sandbox", "web-0"), T0 + TimeSpan.FromMinutes(5), "boot-1"));

        Assert.Equal(before.Ip, after.Ip);
        Assert.Empty(table.ForAttachment("old-sandbox", "eth0"));
    }

    [Fact]
    public void Active_lease_of_the_same_pod_in_this_boot_is_not_taken_from_a_live_sandbox()
    {
        var table = new LeaseTable();
        var live = Assert.Single(Add(table, Req("sandbox-1", "web-0")));

        var second = Assert.Single(Add(table, Req("sandbox-2", "web-0")));

        Assert.NotEqual(live.Ip, second.Ip);
    }

    [Fact]
    public void Rollback_frees_the_address_instead_of_holding_it()
    {
        var table = new LeaseTable();
        var outcome = Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("c1", "web-0"), T0, Boot));
        table.Apply(outcome.Changes);

        var release = LeaseAllocator.Release(table, "c1", "eth0", "edge", rollback: true, T0, Hold);
        table.Apply(release.Changes);

        Assert.Equal(1, release.Released);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Rollback_of_an_add_repeated_on_a_running_pod_frees_only_what_that_add_left_pending()
    {
        // The pod got its IPv4 address from an earlier ADD that succeeded; the repeated ADD adds an IPv6 pool and fails.
        var table = new LeaseTable();
        var running = Assert.Single(Add(table, Req("c1", "web-0", "10.22.0.0/24")));
        var repeated = Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("c1", "web-0", "10.22.0.0/24", "fd00:22::/64"), T0, Boot));
        table.Apply(repeated.Changes);

        var release = LeaseAllocator.Release(table, "c1", "eth0", "edge", rollback: true, T0, Hold);
        table.Apply(release.Changes);

        Assert.False(repeated.Existing);
        Assert.Equal(1, release.Released);
        var kept = Assert.Single(table.All);
        Assert.Equal((running.Ip, LeaseState.Active), (kept.Ip, kept.State));
    }

    [Fact]
    public void Add_resent_while_its_lease_is_still_pending_is_the_same_attempt_not_an_existing_attachment()
    {
        var table = new LeaseTable();
        var first = Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("c1", "web-0"), T0, Boot));
        table.Apply(first.Changes);

        var resent = Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("c1", "web-0"), T0, Boot));

        Assert.False(resent.Existing);
        Assert.True(resent.Changes.IsEmpty);
        Assert.Equal(first.Leases.Select(l => l.Ip), resent.Leases.Select(l => l.Ip));
    }

    [Fact]
    public void Release_without_a_pod_name_frees_at_once()
    {
        var table = new LeaseTable();
        Add(table, Req("c1"));

        Del(table, "c1");

        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Repeated_release_changes_nothing()
    {
        var table = new LeaseTable();
        Add(table, Req("c1", "web-0"));
        Del(table, "c1");

        var again = LeaseAllocator.Release(table, "c1", "eth0", "edge", rollback: false, T0, Hold);

        Assert.Equal(0, again.Released);
        Assert.True(again.Changes.IsEmpty);
    }

    [Fact]
    public void Network_is_idle_when_only_held_leases_remain()
    {
        var table = new LeaseTable();
        Add(table, Req("c1", "a"));
        Add(table, Req("c2", "b"));

        Assert.False(LeaseAllocator.Release(table, "c1", "eth0", "edge", false, T0, Hold).NetworkIdle);
        Del(table, "c1");
        Assert.True(LeaseAllocator.Release(table, "c2", "eth0", "edge", false, T0, Hold).NetworkIdle);
    }

    [Fact]
    public void Commit_makes_pending_active_and_unknown_attachment_is_null()
    {
        var table = new LeaseTable();
        table.Apply(Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("c1"), T0, Boot)).Changes);

        table.Apply(LeaseAllocator.Commit(table, "c1", "eth0", null, T0, Boot)!);

        Assert.Equal(LeaseState.Active, Assert.Single(table.All).State);
        Assert.Null(LeaseAllocator.Commit(table, "nope", "eth0", null, T0, Boot));
    }

    [Fact]
    public void Pending_lease_never_committed_is_reclaimed_after_the_timeout()
    {
        var table = new LeaseTable();
        table.Apply(Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("c1"), T0, Boot)).Changes);

        Assert.Equal(0, LeaseAllocator.Reclaim(table, T0 + TimeSpan.FromMinutes(1), Boot, TimeSpan.FromMinutes(2), Hold, NoneInProgress).PendingReclaimed);
        var later = LeaseAllocator.Reclaim(table, T0 + TimeSpan.FromMinutes(2), Boot, TimeSpan.FromMinutes(2), Hold, NoneInProgress);

        Assert.Equal(1, later.PendingReclaimed);
    }

    [Fact]
    public void Pending_lease_from_an_earlier_boot_is_reclaimed_at_once()
    {
        var table = new LeaseTable();
        table.Apply(Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("c1"), T0, "boot-0")).Changes);

        Assert.Equal(1, LeaseAllocator.Reclaim(table, T0, Boot, TimeSpan.FromMinutes(2), Hold, NoneInProgress).PendingReclaimed);
    }

    [Fact]
    public void Pending_lease_of_an_add_still_in_progress_is_never_reclaimed_however_long_it_takes()
    {
        var table = new LeaseTable();
        table.Apply(Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("slow"), T0, Boot)).Changes);

        var outcome = LeaseAllocator.Reclaim(table, T0 + TimeSpan.FromHours(1), Boot, TimeSpan.FromMinutes(2), Hold, new HashSet<(string, string)> { ("slow", "eth0") });

        Assert.Equal(0, outcome.PendingReclaimed);
        Assert.Empty(outcome.Changes.Removals);
    }

    [Fact]
    public void Active_lease_of_an_earlier_boot_is_held_for_its_pod_then_freed_after_the_hold()
    {
        var table = new LeaseTable();
        var old = Add(table, Req("c-before-reboot", "till"), boot: "boot-0").Single();
        Add(table, Req("c-anonymous"), boot: "boot-0");

        var first = LeaseAllocator.Reclaim(table, T0, Boot, TimeSpan.FromMinutes(2), Hold, NoneInProgress);
        table.Apply(first.Changes);

        Assert.Equal(2, first.EarlierBootHeld);
        var held = Assert.Single(table.All);
        Assert.Equal((old.Ip, LeaseState.Held, T0 + Hold), (held.Ip, held.State, held.HeldUntil));
        Assert.Empty(LeaseAllocator.Reclaim(table, T0 + Hold - TimeSpan.FromSeconds(1), Boot, TimeSpan.FromMinutes(2), Hold, NoneInProgress).Changes.Removals);
        Assert.Equal([old.Ip], LeaseAllocator.Reclaim(table, T0 + Hold, Boot, TimeSpan.FromMinutes(2), Hold, NoneInProgress).Changes.Removals);
    }

    [Fact]
    public void Pod_asking_for_its_address_after_a_reboot_gets_it_once_the_earlier_boots_lease_is_held()
    {
        var table = new LeaseTable();
        var old = Add(table, Req("c-before-reboot", "till"), boot: "boot-0").Single();
        table.Apply(LeaseAllocator.Reclaim(table, T0, Boot, TimeSpan.FromMinutes(2), Hold, NoneInProgress).Changes);

        var outcome = LeaseAllocator.Allocate(table, Req("c-after-reboot", "till") with { RequestedIps = [old.Ip] }, T0 + TimeSpan.FromMinutes(1), Boot);

        Assert.Equal(old.Ip, Assert.IsType<AllocationOutcome.Allocated>(outcome).Leases.Single().Ip);
    }

    [Fact]
    public void Gc_releases_only_attachments_missing_from_the_valid_list()
    {
        var table = new LeaseTable();
        Add(table, Req("keep", "a"));
        Add(table, Req("gone", "b"));

        var outcome = LeaseAllocator.Gc(table, "edge", new HashSet<(string, string)> { ("keep", "eth0") }, T0, Hold);
        table.Apply(outcome.Changes);

        Assert.Equal(1, outcome.Released);
        Assert.Equal(LeaseState.Active, Assert.Single(table.ForAttachment("keep", "eth0")).State);
        Assert.Equal(LeaseState.Held, Assert.Single(table.ForAttachment("gone", "eth0")).State);
    }

    [Fact]
    public void No_address_is_ever_given_twice()
    {
        var table = new LeaseTable();
        var random = new Random(7);
        var live = new List<string>();
        for (var step = 0; step < 2000; step++)
        {
            var now = T0 + TimeSpan.FromSeconds(step * 7);
            if (live.Count > 0 && random.Next(3) == 0)
            {
                var victim = live[random.Next(live.Count)];
                live.Remove(victim);
                Del(table, victim, now);
            }
            else if (LeaseAllocator.Allocate(table, Req($"c{step}", $"pod{random.Next(80)}", "10.9.0.0/26", "fd00:9::/120"), now, Boot) is AllocationOutcome.Allocated a)
            {
                table.Apply(a.Changes);
                live.Add($"c{step}");
            }

            Assert.Equal(table.Count, table.All.Select(l => l.Ip).Distinct().Count());
            Assert.All(table.All.GroupBy(l => (l.ContainerId, l.Ip.AddressFamily)), g => Assert.Single(g));
        }
    }

    [Fact]
    public void An_address_reserved_for_a_host_veth_goes_back_to_its_attachment_and_keeps_every_network_from_looking_idle()
    {
        var table = new LeaseTable();
        var (rebuilt, _) = RecoveryPlanner.Plan(table, [FoundAttachment.FromHostVeth(Yurtnet.Protocol.HostVethName.For("c1", "eth0"), [(IPAddress.Parse("10.22.0.9"), 24)])], T0, Boot, Hold);
        table.Apply(rebuilt);
        Add(table, Req("c2", "other"));

        // The last pod of "edge" that the store knows goes: the network is not idle while a pod of unknown network lives.
        Assert.False(LeaseAllocator.Release(table, "c2", "eth0", "edge", rollback: false, T0, Hold).NetworkIdle);

        var again = Assert.IsType<AllocationOutcome.Allocated>(LeaseAllocator.Allocate(table, Req("c1", "till"), T0, Boot));
        var lease = Assert.Single(again.Leases);
        Assert.Equal(("10.22.0.9", "c1", "edge", "shop/till"), (lease.Ip.ToString(), lease.ContainerId, lease.Network, lease.PodKey));
        Assert.True(again.Existing);
        Assert.Contains(again.Notes, n => n.Contains("is its attachment's again", StringComparison.Ordinal));
    }
}
