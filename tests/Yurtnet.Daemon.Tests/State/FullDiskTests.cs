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
    }
}
