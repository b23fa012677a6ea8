using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.Tests.CniApi;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.Reconcile;

public sealed class SpoolDrainTests
{
    private static async Task<string> AddAsync(DaemonHarness daemon, string containerId)
    {
        var pool = Pool.TryParse("10.77.0.0/24", out var p, out _) ? p : throw new InvalidOperationException();
        var outcome = Assert.IsType<AllocationOutcome.Allocated>(await daemon.Keeper.AllocateAsync(
            new AllocationRequest { ContainerId = containerId, IfName = "eth0", Network = "edge", PodNamespace = "shop", PodName = containerId, Pools = [pool] }, CancellationToken.None));
        await daemon.Keeper.CommitAsync(containerId, "eth0", null, CancellationToken.None);
        return outcome.Leases[0].Ip.ToString();
    }

    private static string Spool(DaemonHarness daemon, string fileName, string content)
    {
        Directory.CreateDirectory(daemon.Options.Reconcile.SpoolDir);
        var path = Path.Combine(daemon.Options.Reconcile.SpoolDir, fileName);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Release(string containerId) => JsonSerializer.Serialize(
        new SpooledRelease { ContainerId = containerId, IfName = "eth0", Network = "edge", SpooledAt = DateTimeOffset.UtcNow }, ProtocolJsonContext.Default.SpooledRelease);

    [Fact]
    public async Task Unreadable_and_meaningless_files_are_set_aside_and_the_drain_goes_on_to_the_next()
    {
        await using var daemon = new DaemonHarness();
        await AddAsync(daemon, "c-late");
        var garbage = Spool(daemon, "a_eth0" + SpooledRelease.FileSuffix, "{ not json");
        var empty = Spool(daemon, "b_eth0" + SpooledRelease.FileSuffix, """{"v":2,"containerId":"","ifName":"eth0","network":"edge","spooledAt":"2026-11-29T00:00:00Z"}""");
        Spool(daemon, SpooledRelease.FileNameFor("c-late", "eth0"), Release("c-late"));

        Assert.Equal(1, await daemon.Spool.DrainAsync(CancellationToken.None));

        Assert.Equal("held", (await daemon.Keeper.SnapshotAsync(CancellationToken.None)).Single().State.ToString().ToLowerInvariant());
        Assert.True(File.Exists(garbage + SpoolDrain.SetAsideSuffix));
        Assert.True(File.Exists(empty + SpoolDrain.SetAsideSuffix));
        Assert.Equal(0, daemon.Spool.PendingCount());
    }

    [Fact]
    public async Task Running_daemon_takes_away_the_removal_mark_an_interrupted_package_removal_left_also_without_a_spool()
    {
        // A removal cut off after prerm wrote the mark: yurtnetd runs, so the package is there and ADD must work.
        await using var daemon = new DaemonHarness();
        var marker = SpooledRelease.PackageRemovedMarker(daemon.Options.Reconcile.SpoolDir)!;
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllText(marker, "apt remove yurtnet at 2026-11-30T10:00:00Z");
        Assert.False(Directory.Exists(daemon.Options.Reconcile.SpoolDir));

        await daemon.Spool.DrainAsync(CancellationToken.None);

        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task A_write_in_progress_is_never_taken_for_a_release_and_an_abandoned_one_is_removed_later()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var daemon = new DaemonHarness(time: time);
        await AddAsync(daemon, "c1");
        var name = SpooledRelease.FileNameFor("c1", "eth0");
        var temp = Spool(daemon, SpooledRelease.TempFileNameFor(name, 4242), Release("c1")[..20]);

        Assert.Equal(0, await daemon.Spool.DrainAsync(CancellationToken.None));
        Assert.Equal(0, daemon.Spool.PendingCount());
        Assert.True(File.Exists(temp));
        Assert.Equal("active", (await daemon.Keeper.SnapshotAsync(CancellationToken.None)).Single().State.ToString().ToLowerInvariant());

        time.Advance(SpoolDrain.AbandonedWriteAge + TimeSpan.FromMinutes(1));
        await daemon.Spool.DrainAsync(CancellationToken.None);
        Assert.False(File.Exists(temp));
    }
}
