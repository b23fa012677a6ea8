using Microsoft.Extensions.Time.Testing;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

public sealed class LeaseKeeperTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-keeper-").FullName;

    private KeeperOnDisk Open(TimeProvider? time = null, bool cluster = false) =>
        new(_dir, new StateOptions { PodStatusOutbox = cluster }, time ?? TimeProvider.System);

    [Fact]
    public async Task Committed_pod_status_is_in_the_outbox_in_the_same_durable_write_and_survives_a_restart()
    {
        using (var keeperOnDisk = Open(cluster: true))
        {
            var keeper = keeperOnDisk.Keeper;
            await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
            var fsyncs = keeper.Fsyncs;
            await keeper.CommitAsync("c1", "eth0", "0a:58:0a:16:00:02", CancellationToken.None);
            Assert.Equal(fsyncs + 1, keeper.Fsyncs);
        }

        using var reopenedOnDisk = Open(cluster: true);
        var reopened = reopenedOnDisk.Keeper;
        var entry = Assert.Single(await reopened.OutboxAsync(CancellationToken.None));
        Assert.Equal("shop/till-c1", entry.PodKey);
        Assert.Contains("\"mac\":\"0a:58:0a:16:00:02\"", entry.Status, StringComparison.Ordinal);
        Assert.Equal(1, reopened.OutboxCount);
    }

    [Fact]
    public async Task Delivered_entry_is_removed_but_not_one_replaced_while_in_flight()
    {
        using var keeperOnDisk = Open(cluster: true);
        var keeper = keeperOnDisk.Keeper;
        await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
        await keeper.CommitAsync("c1", "eth0", "0a:58:0a:16:00:02", CancellationToken.None);
        var sent = Assert.Single(await keeper.OutboxAsync(CancellationToken.None));
        await keeper.CommitAsync("c1", "eth0", "0a:58:0a:16:00:03", CancellationToken.None);

        Assert.False(await keeper.RemoveOutboxAsync(sent.PodKey, sent.Sequence, CancellationToken.None));
        var newer = Assert.Single(await keeper.OutboxAsync(CancellationToken.None));
        Assert.True(await keeper.RemoveOutboxAsync(newer.PodKey, newer.Sequence, CancellationToken.None));
        Assert.Empty(await keeper.OutboxAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Del_before_delivery_empties_the_outbox_and_standalone_never_fills_it()
    {
        using (var keeperOnDisk = Open(cluster: true))
        {
            var keeper = keeperOnDisk.Keeper;
            await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
            await keeper.CommitAsync("c1", "eth0", null, CancellationToken.None);
            await keeper.ReleaseAsync("c1", "eth0", "edge", rollback: false, CancellationToken.None);
            Assert.Empty(await keeper.OutboxAsync(CancellationToken.None));
        }

        using var standaloneOnDisk = Open();
        var standalone = standaloneOnDisk.Keeper;
        await standalone.AllocateAsync(Request("c2"), CancellationToken.None);
        await standalone.CommitAsync("c2", "eth0", null, CancellationToken.None);
        Assert.Empty(await standalone.OutboxAsync(CancellationToken.None));
    }

    private static AllocationRequest Request(string container) => new()
    {
        ContainerId = container,
        IfName = "eth0",
        Network = "edge",
        PodNamespace = "shop",
        PodName = "till-" + container,
        Pools = [Pool.TryParse("10.22.0.0/24", out var p, out _) ? p : throw new InvalidOperationException()],
    };

    [Fact]
    public async Task Store_that_cannot_be_opened_at_start_refuses_adds_and_once_it_can_the_host_rebuild_runs_before_any_address_is_given()
    {
        // state.db is a directory: the files cannot be opened (as a card gone read-only or failing would do).
        var results = Path.Combine(_dir, "cni-results");
        Directory.CreateDirectory(results);
        File.WriteAllText(Path.Combine(results, "edge-gone-eth0"), HostEvidenceTests.CacheFile("gone", "edge", "yurtnet", "10.22.0.7/24"));
        var blocker = Path.Combine(_dir, StateStore.DataFileName);
        Directory.CreateDirectory(blocker);
        using var keeperOnDisk = new KeeperOnDisk(_dir, new StateOptions { CniResultsDir = results, LeaseHold = TimeSpan.FromHours(1) }, TimeProvider.System);
        var keeper = keeperOnDisk.Keeper;

        Assert.NotEqual(StoreCondition.Ok, keeperOnDisk.Store.Health.Condition);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => keeper.AllocateAsync(Request("c1"), CancellationToken.None));
        Assert.Empty(await keeper.SnapshotAsync(CancellationToken.None));

        Directory.Delete(blocker);
        var given = new List<string>();
        for (var i = 0; i < 252; i++)
        {
            if (await keeper.AllocateAsync(Request($"c{i}"), CancellationToken.None) is AllocationOutcome.Allocated allocated)
            {
                given.AddRange(allocated.Leases.Select(l => l.Ip.ToString()));
            }
        }

        // Every free address of the pool is given (.1 is the gateway), and the held one is not.
        Assert.Equal(252, given.Distinct().Count());
        Assert.DoesNotContain("10.22.0.7", given);
        var rebuilt = Assert.Single(await keeper.SnapshotAsync(CancellationToken.None), l => l.Ip.ToString() == "10.22.0.7");
        Assert.Equal(("gone", LeaseState.Held), (rebuilt.ContainerId, rebuilt.State));
    }

    [Fact]
    public async Task Release_while_the_leases_were_never_read_is_deferred_not_called_idle_and_applied_once_the_store_opens()
    {
        using (var first = Open())
        {
            await first.Keeper.AllocateAsync(Request("c1"), CancellationToken.None);
            await first.Keeper.CommitAsync("c1", "eth0", null, CancellationToken.None);
        }

        // The store's file cannot be opened at start (a directory stands in its place, as a failing card would refuse it).
        var data = Path.Combine(_dir, StateStore.DataFileName);
        File.Move(data, data + ".aside");
        Directory.CreateDirectory(data);
        using var keeperOnDisk = Open(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var keeper = keeperOnDisk.Keeper;

        var released = await keeper.ReleaseAsync("c1", "eth0", "edge", rollback: false, CancellationToken.None);

        // An empty table would say "released nothing, network idle" and the plugin would drop the masquerade.
        Assert.True(released.Deferred);
        Assert.False(released.NetworkIdle);
        Assert.Equal(1, keeper.DeferredCount);

        Directory.Delete(data);
        File.Move(data + ".aside", data);
        var after = await keeper.AllocateAsync(Request("c2"), CancellationToken.None);

        Assert.IsType<AllocationOutcome.Allocated>(after);
        Assert.Equal(0, keeper.DeferredCount);
        Assert.Equal(LeaseState.Held, Assert.Single(await keeper.SnapshotAsync(CancellationToken.None), l => l.ContainerId == "c1").State);
    }

    [Fact]
    public async Task Every_answer_that_changes_state_returns_after_its_change_is_on_disk()
    {
        using var keeperOnDisk = Open();
        var keeper = keeperOnDisk.Keeper;
        var fsyncs = keeper.Fsyncs;

        await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
        Assert.Equal(fsyncs + 1, keeper.Fsyncs);
        await keeper.CommitAsync("c1", "eth0", null, CancellationToken.None);
        Assert.Equal(fsyncs + 2, keeper.Fsyncs);
        await keeper.ReleaseAsync("c1", "eth0", "edge", rollback: false, CancellationToken.None);
        Assert.Equal(fsyncs + 3, keeper.Fsyncs);
    }

    [Fact]
    public async Task Answers_that_change_nothing_write_nothing()
    {
        using var keeperOnDisk = Open();
        var keeper = keeperOnDisk.Keeper;
        await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
        await keeper.CommitAsync("c1", "eth0", null, CancellationToken.None);
        var fsyncs = keeper.Fsyncs;

        await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
        await keeper.CommitAsync("c1", "eth0", null, CancellationToken.None);
        await keeper.ReleaseAsync("other", "eth0", "edge", rollback: false, CancellationToken.None);

        Assert.Equal(fsyncs, keeper.Fsyncs);
    }

    [Fact]
    public async Task State_answered_is_the_state_found_after_reopening()
    {
        string address;
        using (var keeperOnDisk = Open())
        {
            var keeper = keeperOnDisk.Keeper;
            var outcome = Assert.IsType<AllocationOutcome.Allocated>(await keeper.AllocateAsync(Request("c1"), CancellationToken.None));
            address = outcome.Leases[0].Ip.ToString();
            await keeper.CommitAsync("c1", "eth0", null, CancellationToken.None);
        }

        using var reopenedOnDisk = Open();
        var reopened = reopenedOnDisk.Keeper;
        var lease = Assert.Single(await reopened.SnapshotAsync(CancellationToken.None));
        Assert.Equal(address, lease.Ip.ToString());
        Assert.Equal(LeaseState.Active, lease.State);
    }

    [Fact]
    public async Task Pending_lease_of_an_add_still_in_progress_survives_reclaim_and_gc_until_its_attempt_ends()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000));
        using var keeperOnDisk = Open(time);
        var keeper = keeperOnDisk.Keeper;
        await keeper.AllocateAsync(Request("slow"), CancellationToken.None);
        time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(0, (await keeper.ReclaimAsync(CancellationToken.None)).PendingReclaimed);
        Assert.Equal(0, (await keeper.GcAsync("edge", new HashSet<(string, string)>(), CancellationToken.None)).Released);
        Assert.Single(await keeper.SnapshotAsync(CancellationToken.None));

        await keeper.EndAttemptAsync("slow", "eth0", CancellationToken.None);

        Assert.Equal(1, (await keeper.ReclaimAsync(CancellationToken.None)).PendingReclaimed);
        Assert.Empty(await keeper.SnapshotAsync(CancellationToken.None));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
