using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.PodStatus;
using static Yurtnet.Daemon.Tests.PodStatus.NetworkStatusTests;

namespace Yurtnet.Daemon.Tests.PodStatus;

public sealed class OutboxPlanTests
{

    private static IpamChanges Upsert(params Lease[] leases)
    {
        var changes = new IpamChanges();
        changes.Upserts.AddRange(leases);
        return changes;
    }

    [Fact]
    public void Committed_pod_gets_one_entry_with_its_status_and_uid()
    {
        var plan = OutboxPlan.For(new LeaseTable(), Upsert(L("10.22.0.5")), new Dictionary<string, OutboxEntry>(), 7, T0);

        var entry = Assert.Single(plan.Upserts);
        Assert.Equal(("shop/till", "uid-1", 7L), (entry.PodKey, entry.PodUid, entry.Sequence));
        Assert.Equal(NetworkStatus.For([L("10.22.0.5")]), entry.Status);
    }

    [Fact]
    public void Newer_status_replaces_the_queued_one_and_an_unchanged_status_adds_nothing()
    {
        var queued = new Dictionary<string, OutboxEntry> { ["shop/till"] = new("shop/till", "uid-1", NetworkStatus.For([L("10.22.0.5")])!, 1, T0) };

        Assert.True(OutboxPlan.For(new LeaseTable(), Upsert(L("10.22.0.5")), queued, 2, T0).IsEmpty);
        var replaced = Assert.Single(OutboxPlan.For(new LeaseTable(), Upsert(L("10.22.0.5", mac: "0a:58:0a:16:00:99")), queued, 2, T0).Upserts);
        Assert.Equal(2, replaced.Sequence);
    }

    [Fact]
    public void Pod_left_without_an_active_lease_drops_its_undelivered_entry()
    {
        var table = new LeaseTable([L("10.22.0.5")], []);
        var queued = new Dictionary<string, OutboxEntry> { ["shop/till"] = new("shop/till", "uid-1", "x", 1, T0) };

        var plan = OutboxPlan.For(table, Upsert(L("10.22.0.5", state: LeaseState.Held)), queued, 2, T0);

        Assert.Equal(["shop/till"], plan.Removals);
        Assert.Empty(plan.Upserts);
    }

    [Fact]
    public void Releasing_a_delivered_pod_writes_nothing()
    {
        var table = new LeaseTable([L("10.22.0.5")], []);
        var changes = new IpamChanges();
        changes.Removals.Add(System.Net.IPAddress.Parse("10.22.0.5"));

        Assert.True(OutboxPlan.For(table, changes, new Dictionary<string, OutboxEntry>(), 2, T0).IsEmpty);
    }

    [Fact]
    public void Pod_without_a_name_has_no_entry()
    {
        var anonymous = L("10.22.0.5") with { PodNamespace = null, PodName = null };

        Assert.True(OutboxPlan.For(new LeaseTable(), Upsert(anonymous), new Dictionary<string, OutboxEntry>(), 1, T0).IsEmpty);
    }

    [Fact]
    public void A_local_containers_lease_writes_no_pod_annotation()
    {
        Assert.True(OutboxPlan.For(new LeaseTable(), Upsert(L("10.22.0.5") with { PodLocal = true }), new Dictionary<string, OutboxEntry>(), 7, T0).IsEmpty);
    }
}
