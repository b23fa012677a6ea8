using System.Net;
using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.Tests.Ipam;

public sealed class RecoveryPlannerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);

    private static FoundAttachment Found(string container, string address, bool plumbed = true, string? pod = "till") => new(
        container, "eth0", "edge", [(IPAddress.Parse(address), 24)], pod is null ? null : "shop", pod, "uid-" + container, "/run/netns/" + container, plumbed);

    [Fact]
    public void Address_of_a_live_attachment_is_an_active_lease_again_in_the_pool_its_prefix_names()
    {
        var (changes, _) = RecoveryPlanner.Plan(new LeaseTable(), [Found("c1", "10.22.0.7")], T0, "boot-1", Hold);

        var lease = Assert.Single(changes.Upserts);
        Assert.Equal((IPAddress.Parse("10.22.0.7"), "10.22.0.0/24", LeaseState.Active, "shop/till", "boot-1"), (lease.Ip, lease.Pool, lease.State, lease.PodKey, lease.BootId));
    }

    [Fact]
    public void Address_of_a_sandbox_that_is_gone_is_held_for_its_pod_and_one_without_a_pod_is_not_kept()
    {
        var (changes, _) = RecoveryPlanner.Plan(new LeaseTable(), [Found("gone", "10.22.0.8", plumbed: false), Found("anonymous", "10.22.0.9", plumbed: false, pod: null)], T0, "boot-1", Hold);

        var held = Assert.Single(changes.Upserts);
        Assert.Equal((IPAddress.Parse("10.22.0.8"), LeaseState.Held, T0 + Hold), (held.Ip, held.State, held.HeldUntil));
    }

    [Fact]
    public void Address_already_leased_to_another_attachment_is_never_leased_twice()
    {
        var table = new LeaseTable();
        var existing = new Lease { Ip = IPAddress.Parse("10.22.0.7"), Pool = "10.22.0.0/24", Network = "edge", State = LeaseState.Active, ContainerId = "other", IfName = "eth0", Since = T0, BootId = "boot-1" };
        var seed = new IpamChanges();
        seed.Upserts.Add(existing);
        table.Apply(seed);

        var (changes, notes) = RecoveryPlanner.Plan(table, [Found("c1", "10.22.0.7"), Found("c2", "10.22.0.20"), Found("c3", "10.22.0.20")], T0, "boot-1", Hold);

        Assert.Equal([("c2", "10.22.0.20")], changes.Upserts.Select(l => (l.ContainerId, l.Ip.ToString())));
        Assert.Contains(notes, n => n.Contains("is leased to container other", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.Contains("claimed by containers c2 and c3", StringComparison.Ordinal));
    }

    [Fact]
    public void Address_a_live_pod_has_on_its_interface_goes_to_it_even_when_a_gone_sandbox_was_found_first()
    {
        var (changes, notes) = RecoveryPlanner.Plan(new LeaseTable(), [Found("gone", "10.22.0.30", plumbed: false), Found("live", "10.22.0.30")], T0, "boot-1", Hold);

        var lease = Assert.Single(changes.Upserts);
        Assert.Equal(("live", LeaseState.Active), (lease.ContainerId, lease.State));
        Assert.Contains(notes, n => n.Contains("claimed by containers live and gone", StringComparison.Ordinal));
    }

    [Fact]
    public void Address_of_a_host_veth_the_cache_does_not_know_is_reserved_active_and_one_already_leased_is_left_without_a_note()
    {
        var table = new LeaseTable();
        var seed = new IpamChanges();
        seed.Upserts.Add(new Lease { Ip = IPAddress.Parse("10.22.0.7"), Pool = "10.22.0.0/24", Network = "edge", State = LeaseState.Active, ContainerId = "c1", IfName = "eth0", Since = T0, BootId = "boot-1" });
        table.Apply(seed);

        var (changes, notes) = RecoveryPlanner.Plan(table, [
            FoundAttachment.FromHostVeth("yn0123456789ab", [(IPAddress.Parse("10.22.0.7"), 24)]),
            FoundAttachment.FromHostVeth("yn0123456789cd", [(IPAddress.Parse("10.22.0.9"), 24), (IPAddress.Parse("fd00:22::9"), 64)]),
        ], T0, "boot-1", Hold);

        Assert.Equal(["10.22.0.9", "fd00:22::9"], changes.Upserts.Select(l => l.Ip.ToString()));
        Assert.All(changes.Upserts, l => Assert.Equal(("hostveth/yn0123456789cd", LeaseState.Active, (string?)null), (l.ContainerId, l.State, l.PodKey)));
        Assert.DoesNotContain(notes, n => n.Contains("10.22.0.7", StringComparison.Ordinal));
    }

    [Fact]
    public void Attachment_the_store_already_has_changes_nothing()
    {
        var table = new LeaseTable();
        var seed = new IpamChanges();
        seed.Upserts.Add(new Lease { Ip = IPAddress.Parse("10.22.0.7"), Pool = "10.22.0.0/24", Network = "edge", State = LeaseState.Active, ContainerId = "c1", IfName = "eth0", Since = T0, BootId = "boot-1" });
        table.Apply(seed);

        var (changes, notes) = RecoveryPlanner.Plan(table, [Found("c1", "10.22.0.7")], T0, "boot-1", Hold);

        Assert.True(changes.IsEmpty);
        Assert.Empty(notes);
    }

    [Theory]
    [InlineData("10.22.0.7", 24, "10.22.0.0/24")]
    [InlineData("10.22.3.7", 22, "10.22.0.0/22")]
    [InlineData("fd00:22::7", 64, "fd00:22::/64")]
    public void Pool_is_the_address_with_its_host_bits_cleared(string address, int prefix, string pool)
    {
        Assert.Equal(pool, RecoveryPlanner.PoolOf(IPAddress.Parse(address), prefix));
    }
}
