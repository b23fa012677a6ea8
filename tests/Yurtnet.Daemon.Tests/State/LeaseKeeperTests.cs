using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.Configuration;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

public sealed class LeaseKeeperTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-keeper-").FullName;

    private LeaseKeeper Open(TimeProvider? time = null) => new(LeaseStore.Open(_dir, NullLogger.Instance, time ?? TimeProvider.System), new DaemonOptions(), new BootId("boot-1"), time ?? TimeProvider.System, NullLogger<LeaseKeeper>.Instance);

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
    public async Task Every_answer_that_changes_state_returns_after_its_change_is_on_disk()
    {
        using var keeper = Open();
        var fsyncs = keeper.Fsyncs;

        await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
        Assert.Equal(fsyncs + 1, keeper.Fsyncs);
        await keeper.CommitAsync("c1", "eth0", CancellationToken.None);
        Assert.Equal(fsyncs + 2, keeper.Fsyncs);
        await keeper.ReleaseAsync("c1", "eth0", "edge", rollback: false, CancellationToken.None);
        Assert.Equal(fsyncs + 3, keeper.Fsyncs);
    }

    [Fact]
    public async Task Answers_that_change_nothing_write_nothing()
    {
        using var keeper = Open();
        await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
        await keeper.CommitAsync("c1", "eth0", CancellationToken.None);
        var fsyncs = keeper.Fsyncs;

        await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
        await keeper.CommitAsync("c1", "eth0", CancellationToken.None);
        await keeper.ReleaseAsync("other", "eth0", "edge", rollback: false, CancellationToken.None);

        Assert.Equal(fsyncs, keeper.Fsyncs);
    }

    [Fact]
    public async Task State_answered_is_the_state_found_after_reopening()
    {
        string address;
        using (var keeper = Open())
        {
            var outcome = Assert.IsType<AllocationOutcome.Allocated>(await keeper.AllocateAsync(Request("c1"), CancellationToken.None));
            address = outcome.Leases[0].Ip.ToString();
            await keeper.CommitAsync("c1", "eth0", CancellationToken.None);
        }

        using var reopened = Open();
        var lease = Assert.Single(await reopened.SnapshotAsync(CancellationToken.None));
        Assert.Equal(address, lease.Ip.ToString());
        Assert.Equal(LeaseState.Active, lease.State);
    }

    [Fact]
    public async Task Readiness_polls_do_not_wear_the_flash_while_recent_writes_prove_the_store()
    {
        var time = new Appliance.ShiftedTimeProvider();
        using var keeper = Open(time);
        await keeper.AllocateAsync(Request("c1"), CancellationToken.None);
        var fsyncs = keeper.Fsyncs;

        for (var i = 0; i < 50; i++)
        {
            Assert.True((await keeper.CheckWritableAsync(CancellationToken.None)).Writable);
        }

        Assert.Equal(fsyncs, keeper.Fsyncs);
        time.Advance(LeaseKeeper.WriteProbeInterval + TimeSpan.FromSeconds(1));
        Assert.True((await keeper.CheckWritableAsync(CancellationToken.None)).Writable);
        Assert.True((await keeper.CheckWritableAsync(CancellationToken.None)).Writable);
        Assert.Equal(fsyncs + 1, keeper.Fsyncs);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
