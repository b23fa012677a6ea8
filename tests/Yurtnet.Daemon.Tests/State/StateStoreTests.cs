using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

public sealed class StateStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-store-").FullName;

    private static Lease Lease(string ip, LeaseState state = LeaseState.Active) => new()
    {
        Ip = IPAddress.Parse(ip),
        Pool = ip.Contains(':', StringComparison.Ordinal) ? "fd00:22::/64" : "10.22.0.0/24",
        Network = "edge",
        State = state,
        ContainerId = "c-" + ip,
        IfName = "eth0",
        PodNamespace = "shop",
        PodName = "web-" + ip,
        PodUid = "uid",
        Netns = "/run/netns/x",
        Since = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000),
        HeldUntil = state == LeaseState.Held ? DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_600_000) : null,
        BootId = "boot-1",
    };

    private StateStore Open() => StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System);

    [Fact]
    public void Lease_change_decided_on_an_earlier_opening_of_the_files_is_not_written()
    {
        using var store = Open();
        var changes = new IpamChanges();
        changes.Upserts.Add(Lease("10.22.0.7"));

        var refused = Assert.Throws<StoreUnavailableException>(() => store.Apply(changes, null, decidedOn: store.Generation - 1));
        store.Apply(new IpamChanges(), null, decidedOn: store.Generation);

        Assert.Contains("opened again", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Load().Count);
        Assert.Equal(StoreCondition.Ok, store.Health.Condition);
    }

    [Fact]
    public void Leases_and_cursors_survive_reopening()
    {
        var changes = new IpamChanges();
        changes.Upserts.Add(Lease("10.22.0.7"));
        changes.Upserts.Add(Lease("fd00:22::7", LeaseState.Held));
        changes.Upserts.Add(Lease("10.22.0.8") with { PodNamespace = "local", PodLocal = true });
        changes.Cursors["10.22.0.0/24"] = 7;
        using (var store = Open())
        {
            store.Apply(changes);
        }

        using var reopened = Open();
        var table = reopened.Load();

        Assert.Equal(3, table.Count);
        Assert.True(table.TryGet(IPAddress.Parse("fd00:22::7"), out var held));
        Assert.Equal(Lease("fd00:22::7", LeaseState.Held), held);
        Assert.True(table.TryGet(IPAddress.Parse("10.22.0.8"), out var local) && local.PodLocal && !held.PodLocal);
        Assert.Equal((UInt128)7, table.Cursor("10.22.0.0/24"));
    }

    [Fact]
    public void Each_change_is_fsynced_once_before_apply_returns()
    {
        using var store = Open();
        var before = store.Fsyncs;

        for (var i = 2; i < 12; i++)
        {
            var changes = new IpamChanges();
            changes.Upserts.Add(Lease($"10.22.0.{i}"));
            store.Apply(changes);
            Assert.Equal(before + i - 1, store.Fsyncs);
        }
    }

    [Fact]
    public void Removal_is_persisted()
    {
        using (var store = Open())
        {
            var add = new IpamChanges();
            add.Upserts.Add(Lease("10.22.0.9"));
            store.Apply(add);
            var remove = new IpamChanges();
            remove.Removals.Add(IPAddress.Parse("10.22.0.9"));
            store.Apply(remove);
        }

        using var reopened = Open();
        Assert.Equal(0, reopened.Load().Count);
    }

    [Fact]
    public void Commits_survive_a_process_that_never_closes_the_database()
    {
        // Copy the files while the store is open, as a crash would leave them (no checkpoint, no close).
        var copy = Directory.CreateTempSubdirectory("yurtnet-crash-").FullName;
        try
        {
            using (var store = Open())
            {
                for (var i = 2; i < 40; i++)
                {
                    var changes = new IpamChanges();
                    changes.Upserts.Add(Lease($"10.22.0.{i}"));
                    store.Apply(changes);
                }

                // cp ignores .NET's advisory lock on the open files, as a crash ignores everything.
                foreach (var file in Directory.GetFiles(_dir))
                {
                    Assert.Equal(0, TestNetns.Run("cp", file, Path.Combine(copy, Path.GetFileName(file))).Code);
                }
            }

            using var recovered = StateStore.Open(copy, NullLogger.Instance, TimeProvider.System);
            Assert.Equal(38, recovered.Load().Count);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Commits_stay_durable_across_automatic_checkpoints_and_the_log_never_outgrows_its_checkpoint_size()
    {
        // LiteDB checkpoints the log into the data file every CheckpointPages log pages and then truncates the log; the
        // store must sync the data file before that truncation and keep recognizing commits after it. Every page of
        // the log stays in LiteDB's cache until then, so the log's length bounds that memory.
        var copy = Directory.CreateTempSubdirectory("yurtnet-checkpoint-").FullName;
        try
        {
            using (var store = Open())
            {
                var logPath = Path.Combine(_dir, StateStore.LogFileName);
                var truncations = 0;
                long previousLength = 0, longest = 0;
                for (var i = 0; i < 1200; i++)
                {
                    var changes = new IpamChanges();
                    changes.Upserts.Add(Lease($"10.22.{i / 250}.{(i % 250) + 2}"));
                    store.Apply(changes);
                    var length = new FileInfo(logPath).Length;
                    truncations += length < previousLength ? 1 : 0;
                    previousLength = length;
                    longest = Math.Max(longest, length);
                }

                // One commit of a lease writes a handful of pages; the checkpoint follows the commit that crossed.
                Assert.True(truncations >= 10, $"{truncations} checkpoints in 1200 commits");
                Assert.True(longest <= (StateStore.CheckpointPages + 16) * 8192L, $"the log reached {longest / 8192} pages");
                Assert.True(store.Fsyncs >= 1200, $"{store.Fsyncs} syncs for 1200 commits");
                foreach (var file in Directory.GetFiles(_dir))
                {
                    Assert.Equal(0, TestNetns.Run("cp", file, Path.Combine(copy, Path.GetFileName(file))).Code);
                }
            }

            using var recovered = StateStore.Open(copy, NullLogger.Instance, TimeProvider.System);
            Assert.Equal(1200, recovered.Load().Count);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Unreadable_database_is_moved_aside_and_a_new_one_serves()
    {
        File.WriteAllBytes(Path.Combine(_dir, StateStore.DataFileName), Enumerable.Repeat((byte)0x5a, 16384).ToArray());

        using var store = Open();
        var changes = new IpamChanges();
        changes.Upserts.Add(Lease("10.22.0.3"));
        store.Apply(changes);

        Assert.Single(Directory.GetFiles(_dir, StateStore.DataFileName + ".corrupt-*"));
        Assert.Equal(1, store.Load().Count);
    }

    [Fact]
    public async Task Readiness_polls_do_not_wear_the_flash_while_recent_writes_prove_the_store()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000));
        using var store = StateStore.Open(_dir, NullLogger.Instance, time);
        var changes = new IpamChanges();
        changes.Upserts.Add(Lease("10.22.0.7"));
        store.Apply(changes);
        var fsyncs = store.Fsyncs;

        for (var i = 0; i < 50; i++)
        {
            Assert.True((await store.CheckWritableAsync(CancellationToken.None)).Writable);
        }

        Assert.Equal(fsyncs, store.Fsyncs);
        time.Advance(StateStore.WriteProbeInterval);
        Assert.True((await store.CheckWritableAsync(CancellationToken.None)).Writable);
        Assert.True((await store.CheckWritableAsync(CancellationToken.None)).Writable);
        Assert.Equal(fsyncs + 1, store.Fsyncs);
    }

    [Fact]
    public void Store_written_by_a_newer_yurtnet_is_refused_and_left_as_it_is()
    {
        using (var store = Open())
        {
            var changes = new IpamChanges();
            changes.Upserts.Add(Lease("10.22.0.7"));
            store.Apply(changes);
        }

        using (var db = new LiteDB.LiteDatabase(Path.Combine(_dir, StateStore.DataFileName)))
        {
            db.GetCollection("facts").Upsert(new LiteDB.BsonDocument { ["_id"] = "sequence", ["n"] = 9L, ["schema"] = 99 });
        }

        var before = File.ReadAllBytes(Path.Combine(_dir, StateStore.DataFileName));
        var refused = Assert.Throws<StoreRefusedException>(Open);

        Assert.Contains("written by a newer yurtnet (format 1, read correctly only from format 99; this yurtnetd reads format 2)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(_dir, StateStore.DataFileName)));
        Assert.Empty(Directory.GetFiles(_dir, "*.corrupt-*"));
    }

    [Fact]
    public void One_unreadable_lease_is_quarantined_alone_and_the_others_are_kept()
    {
        using (var store = Open())
        {
            var changes = new IpamChanges();
            changes.Upserts.Add(Lease("10.22.0.7"));
            changes.Upserts.Add(Lease("10.22.0.8"));
            store.Apply(changes);
        }

        using (var db = new LiteDB.LiteDatabase(Path.Combine(_dir, StateStore.DataFileName)))
        {
            var leases = db.GetCollection("leases");
            var damaged = leases.FindById("10.22.0.8");
            damaged["state"] = "half-written";
            damaged.Remove("since");
            leases.Update(damaged);
        }

        using var reopened = Open();

        var kept = Assert.Single(reopened.Load().All);
        Assert.Equal("10.22.0.7", kept.Ip.ToString());
        var quarantined = Assert.Single(reopened.Quarantined);
        Assert.Equal(("leases", "10.22.0.8"), (quarantined.Collection, quarantined.Id));
        Assert.Null(reopened.SetAsideTo);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
