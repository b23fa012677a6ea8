using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

/// <summary>The store's format across releases: forward migration, the previous release on a newer store, refusal.</summary>
public sealed class StoreFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-format-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private StateStore Open(StoreFormat? format = null) => StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System, format);

    private static Lease Lease(string ip) => new()
    {
        Ip = IPAddress.Parse(ip),
        Pool = "10.22.0.0/24",
        Network = "edge",
        State = LeaseState.Active,
        ContainerId = "c-" + ip,
        IfName = "eth0",
        PodNamespace = "shop",
        PodName = "web-" + ip,
        Since = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000),
        BootId = "boot-1",
    };

    private static void Write(StateStore store, string ip)
    {
        var changes = new IpamChanges();
        changes.Upserts.Add(Lease(ip));
        store.Apply(changes);
    }

    /// <summary>The <c>sequence</c> document as it is on disk (the store closed).</summary>
    private BsonDocument Sequence()
    {
        using var db = new LiteDatabase($"Filename={Path.Combine(_dir, StateStore.DataFileName)};ReadOnly=true");
        return db.GetCollection("facts").FindById(StoreFormat.SequenceId);
    }

    /// <summary>This build's format, one newer, with a step that counts its runs.</summary>
    private static StoreFormat Newer(Action onStep) =>
        StoreFormat.This with { Current = StoreFormat.This.Current + 1, Migrations = [.. StoreFormat.This.Migrations, new StoreMigration(StoreFormat.This.Current + 1, "a step that counts its runs", _ => onStep())] };

    /// <summary>The store a killed yurtnet 0.1.0 left (Fixtures/make-state-0.1.0.sh), unpacked into <paramref name="directory"/>.</summary>
    private static async Task UnpackStoreOf010Async(string directory)
    {
        await using var fixture = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "State", "Fixtures", "state-0.1.0.tar.gz"));
        await using var gzip = new GZipStream(fixture, CompressionMode.Decompress);
        Directory.CreateDirectory(directory);
        await TarFile.ExtractToDirectoryAsync(gzip, directory, overwriteFiles: false);
    }

    [Fact]
    public async Task Store_left_by_a_killed_yurtnet_0_1_0_is_migrated_and_keeps_every_lease_in_its_state()
    {
        await UnpackStoreOf010Async(_dir);

        using (var store = Open())
        {
            Assert.Equal(1, store.MigratedFrom);
            Assert.Empty(store.Quarantined);
            Assert.Null(store.SetAsideTo);
            var leases = store.Load().All.ToDictionary(l => l.Ip.ToString());

            Assert.Equal(8, leases.Count);
            Assert.Equal(("c-active1", LeaseState.Active, "shop/web-0", false), Describe(leases["10.22.0.2"]));
            Assert.Equal(("c-local2", LeaseState.Active, "local/db", true), Describe(leases["fd00:22::3"]));
            Assert.Equal(("c-held3", LeaseState.Held, "shop/cache-0", false), Describe(leases["10.22.0.4"]));
            Assert.NotNull(leases["10.22.0.4"].HeldUntil);
            Assert.Equal(("c-pending4", LeaseState.Pending, "shop/job-0", false), Describe(leases["fd00:22::5"]));
        }

        var sequence = Sequence();
        Assert.Equal(StoreFormat.This.Current, sequence["format"].AsInt32);
        Assert.Equal(1, sequence["schema"].AsInt32);
        using var again = Open();
        Assert.Null(again.MigratedFrom);
        Assert.Equal(8, again.Load().Count);

        static (string, LeaseState, string, bool) Describe(Lease lease) => (lease.ContainerId, lease.State, $"{lease.PodNamespace}/{lease.PodName}", lease.PodLocal);
    }

    [Fact]
    public void Previous_release_runs_on_a_store_of_a_newer_compatible_format_and_the_next_upgrade_migrates_again()
    {
        var steps = 0;
        var newer = Newer(() => steps++);
        using (var store = Open(newer))
        {
            Write(store, "10.22.0.2");
        }

        Assert.Equal(newer.Current, Sequence()["format"].AsInt32);
        using (var downgraded = Open())
        {
            // Readable from format 1: used as it is, and what it writes is stamped with its own format.
            Assert.Null(downgraded.MigratedFrom);
            Assert.Equal(1, downgraded.Load().Count);
            Write(downgraded, "10.22.0.3");
        }

        Assert.Equal(StoreFormat.This.Current, Sequence()["format"].AsInt32);
        using var upgraded = Open(newer);
        Assert.Equal(StoreFormat.This.Current, upgraded.MigratedFrom);
        Assert.Equal(1, steps);
        Assert.Equal(2, upgraded.Load().Count);
    }

    [Fact]
    public void Failed_migration_rolls_back_every_step_and_refuses_the_store_without_setting_it_aside()
    {
        using (var store = Open())
        {
            Write(store, "10.22.0.2");
        }

        var from = StoreFormat.This.Current;
        var failing = StoreFormat.This with
        {
            Current = from + 2,
            Migrations =
            [
                .. StoreFormat.This.Migrations,
                new StoreMigration(from + 1, "renames the pool", db => db.GetCollection("leases").Update(db.GetCollection("leases").FindById("10.22.0.2").Also(d => d["pool"] = "renamed"))),
                new StoreMigration(from + 2, "fails", _ => throw new InvalidOperationException("the step broke")),
            ],
        };

        var refused = Assert.Throws<StoreRefusedException>(() => Open(failing));

        Assert.Contains($"(format {from}) could not be migrated to format {from + 2} (fails): the step broke", refused.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir, "*.corrupt-*"));
        Assert.Equal(from, Sequence()["format"].AsInt32);
        using var reopened = Open();
        Assert.Equal("10.22.0.0/24", Assert.Single(reopened.Load().All).Pool);
    }

    /// <summary>This build's format and one more, whose step marks the store (and is, or is not, needed to read it).</summary>
    private static StoreFormat Marking(bool neededToRead) => StoreFormat.This with
    {
        Current = StoreFormat.This.Current + 1,
        Migrations =
        [
            .. StoreFormat.This.Migrations,
            new StoreMigration(StoreFormat.This.Current + 1, "marks the store", db => db.GetCollection("facts").Upsert(new BsonDocument { ["_id"] = "marked" }), neededToRead),
        ],
    };

    /// <summary>yurtnet 0.1.0's store on <paramref name="disk"/>, filled, opened by a yurtnetd of <see cref="Marking"/>'s format.</summary>
    private static async Task<StateStore> OpenOnAFullCardAsync(SmallDisk disk, bool neededToRead)
    {
        var stateDir = Path.Combine(disk.Path, "state");
        await UnpackStoreOf010Async(stateDir);
        disk.Fill();
        return StateStore.Open(stateDir, NullLogger.Instance, TimeProvider.System, Marking(neededToRead));
    }

    [RootFact]
    public async Task Migration_on_a_full_card_leaves_the_store_readable_as_it_was_and_runs_before_the_first_write_once_there_is_space()
    {
        // The first start of a new version is where a full card is met first: full is a state yurtnetd knows
        // (ADD refused, DEL kept), never a reason to set the store aside or to refuse it for good.
        using var disk = new SmallDisk();
        using var store = await OpenOnAFullCardAsync(disk, neededToRead: false);

        Assert.Equal(StoreCondition.Full, store.Health.Condition);
        Assert.Null(store.SetAsideTo);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(store.DataPath)!, "*.corrupt-*"));
        Assert.Null(store.MigratedFrom);
        Assert.Equal(8, store.Load().Count);
        Assert.Throws<StoreUnavailableException>(() => Write(store, "10.22.0.9"));
        Assert.Equal(8, store.Load().Count);
        Assert.Null(store.LoadFact("marked"));
        disk.Free();
        Write(store, "10.22.0.9");
        Assert.Equal(1, store.MigratedFrom);
        Assert.NotNull(store.LoadFact("marked"));
        Assert.Equal(StoreCondition.Ok, store.Health.Condition);
        Assert.Equal(9, store.Load().Count);
    }

    [RootFact]
    public async Task Migration_needed_to_read_the_store_that_a_full_card_refuses_keeps_it_unread_until_there_is_space()
    {
        using var disk = new SmallDisk();
        using var store = await OpenOnAFullCardAsync(disk, neededToRead: true);

        Assert.Equal(StoreCondition.Full, store.Health.Condition);
        Assert.Throws<StoreUnavailableException>(() => store.Load());
        Assert.Null(store.SetAsideTo);
        disk.Free();
        Assert.Equal(8, store.Load().Count);
        Assert.Equal(1, store.MigratedFrom);
        Assert.NotNull(store.LoadFact("marked"));
    }

    [Fact]
    public void Store_of_a_format_without_a_way_to_this_one_is_refused_not_set_aside()
    {
        using (var store = Open())
        {
            Write(store, "10.22.0.2");
        }

        var gap = StoreFormat.This with { Current = StoreFormat.This.Current + 1 };

        var refused = Assert.Throws<StoreRefusedException>(() => Open(gap));

        Assert.Contains($"which this yurtnetd cannot migrate to format {gap.Current}", refused.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir, "*.corrupt-*"));
        using var reopened = Open();
        Assert.Equal(1, reopened.Load().Count);
    }

    [Fact]
    public void Every_format_of_this_build_has_its_step_from_the_first()
    {
        var steps = StoreFormat.This.StepsFrom(1).Select(m => m.To).ToList();

        Assert.Equal(Enumerable.Range(2, StoreFormat.This.Current - 1), steps);
        Assert.True(StoreFormat.This.ReadableFrom <= StoreFormat.This.Current);
    }
}

internal static class BsonDocumentExtensions
{
    public static BsonDocument Also(this BsonDocument document, Action<BsonDocument> change)
    {
        change(document);
        return document;
    }
}
