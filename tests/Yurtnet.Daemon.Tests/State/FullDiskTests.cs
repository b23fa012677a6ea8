using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.State;
using Yurtnet.Daemon.Tests.CniApi;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.State;

/// <summary>A full card is a degraded state: ADD waits for room, DEL never fails, nothing resets, and it heals alone.</summary>
[Trait("requirement", "root")]
public sealed class FullDiskTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static AllocateRequest Allocate(string container) => new()
    {
        ContainerId = container,
        IfName = "eth0",
        Network = "edge",
        Pod = new PodRef { Namespace = "shop", Name = container },
        Subnets = ["10.23.0.0/24"],
    };

    [RootFact]
    public async Task Full_store_refuses_add_keeps_del_stays_alive_and_serves_again_when_space_returns()
    {
        using var disk = new SmallDisk();
        await using var daemon = new DaemonHarness(o => o with { State = o.State with { StateDir = Path.Combine(disk.Path, "state") } });
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        var running = Assert.IsType<AllocateResponse>(client.Send(Allocate("c-running"), Timeout));
        Assert.IsType<CommitResponse>(client.Send(new CommitRequest { ContainerId = "c-running", IfName = "eth0", Network = "edge" }, Timeout));

        disk.Fill();
        var refused = Assert.IsType<ErrorResponse>(client.Send(Allocate("c-new"), Timeout));
        var released = Assert.IsType<ReleaseResponse>(client.Send(new ReleaseRequest { ContainerId = "c-running", IfName = "eth0", Network = "edge" }, Timeout));
        var status = Assert.IsType<StatusResponse>(client.Send(new StatusRequest(), Timeout));
        var liveness = await daemon.Get<Liveness>().CheckAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal(ErrorKind.TryAgainLater, refused.Error);
        Assert.True(refused.Message.Contains("store full:", StringComparison.Ordinal), refused.Message);
        Assert.Contains("free space on", refused.Message, StringComparison.Ordinal);
        Assert.True(released.Deferred);
        Assert.False(status.Ready);
        Assert.StartsWith("full:", status.Health!.Store, StringComparison.Ordinal);
        Assert.True(liveness.Alive, liveness.Summary);
        Assert.Equal(StoreCondition.Full, daemon.Get<StateStore>().Health.Condition);

        disk.Free();
        var ready = Assert.IsType<StatusResponse>(client.Send(new StatusRequest(), Timeout));
        var again = Assert.IsType<AllocateResponse>(client.Send(Allocate("c-new"), Timeout));

        Assert.True(ready.Ready, ready.Reason);
        Assert.Equal("ok", ready.Health!.Store);
        Assert.Equal(0, daemon.Keeper.DeferredCount);
        var leases = await daemon.Keeper.SnapshotAsync(CancellationToken.None);
        Assert.Equal(Yurtnet.Daemon.Ipam.LeaseState.Held, leases.Single(l => l.ContainerId == "c-running").State);
        Assert.DoesNotContain(again.Addresses[0].Address, running.Addresses.Select(a => a.Address));
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    [RootFact]
    public async Task Card_the_kernel_remounts_read_only_is_a_failing_store_that_refuses_add_keeps_del_and_keeps_the_daemon_alive()
    {
        using var card = new FailingCard();
        await using var daemon = new DaemonHarness(o => o with { State = o.State with { StateDir = Path.Combine(card.Path, "state") } });
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        var running = Assert.IsType<AllocateResponse>(client.Send(Allocate("c-running"), Timeout));
        Assert.IsType<CommitResponse>(client.Send(new CommitRequest { ContainerId = "c-running", IfName = "eth0", Network = "edge" }, Timeout));

        card.Fail();
        var refused = Assert.IsType<ErrorResponse>(client.Send(Allocate("c-new"), Timeout));
        var released = Assert.IsType<ReleaseResponse>(client.Send(new ReleaseRequest { ContainerId = "c-running", IfName = "eth0", Network = "edge" }, Timeout));
        var status = Assert.IsType<StatusResponse>(client.Send(new StatusRequest(), Timeout));
        var liveness = await daemon.Get<Liveness>().CheckAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        var leases = Assert.IsType<LeasesResponse>(client.Send(new LeasesRequest(), Timeout));

        Assert.Equal(ErrorKind.TryAgainLater, refused.Error);
        Assert.True(refused.Message.Contains("store failing:", StringComparison.Ordinal), refused.Message);
        Assert.Contains("Read-only file system", refused.Message, StringComparison.Ordinal);
        Assert.True(released.Deferred);
        Assert.False(status.Ready);
        Assert.StartsWith("failing:", status.Health!.Store, StringComparison.Ordinal);
        Assert.True(liveness.Alive, liveness.Summary);
        Assert.Equal(running.Addresses.Select(a => a.Address.Split('/')[0]).Order(), leases.Leases.Select(l => l.Ip).Order());
        Assert.Equal(1, daemon.Keeper.DeferredCount);
    }

    [RootFact]
    public async Task Spooled_release_stays_in_the_spool_while_the_store_is_full_and_is_applied_once_it_has_room()
    {
        // The spool sits on another file system than the store (as /var/lib/yurtnet/spool may on a gateway with a tmpfs
        // state overlay): the spool file is the only durable record of the DEL while the store is full.
        using var disk = new SmallDisk();
        await using var daemon = new DaemonHarness(o => o with { State = o.State with { StateDir = Path.Combine(disk.Path, "state") } });
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        Assert.IsType<AllocateResponse>(client.Send(Allocate("c-gone"), Timeout));
        Assert.IsType<CommitResponse>(client.Send(new CommitRequest { ContainerId = "c-gone", IfName = "eth0", Network = "edge" }, Timeout));
        Directory.CreateDirectory(daemon.Options.Reconcile.SpoolDir);
        var spooled = Path.Combine(daemon.Options.Reconcile.SpoolDir, SpooledRelease.FileNameFor("c-gone", "eth0"));
        File.WriteAllText(spooled, System.Text.Json.JsonSerializer.Serialize(
            new SpooledRelease { ContainerId = "c-gone", IfName = "eth0", Network = "edge", SpooledAt = DateTimeOffset.UtcNow }, ProtocolJsonContext.Default.SpooledRelease));

        disk.Fill();
        var appliedWhileFull = await daemon.Spool.DrainAsync(CancellationToken.None);

        Assert.Equal(0, appliedWhileFull);
        Assert.True(File.Exists(spooled));

        disk.Free();
        var applied = await daemon.Spool.DrainAsync(CancellationToken.None);

        Assert.Equal(1, applied);
        Assert.False(File.Exists(spooled));
        Assert.Equal(Yurtnet.Daemon.Ipam.LeaseState.Held, (await daemon.Keeper.SnapshotAsync(CancellationToken.None)).Single(l => l.ContainerId == "c-gone").State);
    }

    [RootFact]
    public void Writes_refused_by_a_full_card_leave_nothing_behind_that_takes_the_process_down_later()
    {
        // A LiteDB transaction whose rollback failed stays registered for finalization, and its finalizer throws on the
        // finalizer thread: that would end yurtnetd at some later garbage collection, far from the full card.
        using var disk = new SmallDisk();

        // On a thread of its own, as yurtnetd's writes run on pool threads: LiteDB keeps the transaction in a
        // thread-local slot, which lets go of it only when the thread (or the slot) is gone.
        Exception? failed = null;
        var writer = new Thread(() =>
        {
            try
            {
                WriteUntilRefusedThenRecover(disk);
            }
            catch (Exception ex)
            {
                failed = ex;
            }
        });
        writer.Start();
        writer.Join();
        Assert.Null(failed);

        // Several rounds: what a finalizer frees (LiteDB's thread-local slot) becomes collectable only in the next one.
        for (var round = 0; round < 3; round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    private static void WriteUntilRefusedThenRecover(SmallDisk disk)
    {
        using var store = StateStore.Open(Path.Combine(disk.Path, "state"), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeProvider.System);
        disk.Fill();
        for (var i = 0; i < 20; i++)
        {
            var changes = new Yurtnet.Daemon.Ipam.IpamChanges();
            changes.Upserts.Add(new Yurtnet.Daemon.Ipam.Lease
            {
                Ip = System.Net.IPAddress.Parse($"10.23.0.{i + 2}"),
                Pool = "10.23.0.0/24",
                Network = "edge",
                State = Yurtnet.Daemon.Ipam.LeaseState.Active,
                ContainerId = $"c{i}",
                IfName = "eth0",
                PodNamespace = "shop",
                PodName = new string('p', 2000),
                Since = DateTimeOffset.UtcNow,
                BootId = "boot-1",
            });
            Assert.Throws<StoreUnavailableException>(() => store.Apply(changes, null, store.Generation));
        }

        // Space is back: the store is opened again (as LeaseKeeper does before its next decision) and takes writes.
        disk.Free();
        store.Reopen();
        store.Apply(new Yurtnet.Daemon.Ipam.IpamChanges(), null, store.Generation);
    }
}
