namespace Yurtnet.Integration.Tests;

/// <summary>The published yurtnetd on a state card that runs full: it refuses ADD, keeps DEL, stays up, and heals.</summary>
[Trait("requirement", "root")]
public sealed class FullCardTests
{
    [RootFact]
    public async Task Published_daemon_survives_a_full_card_and_the_garbage_collections_after_it_and_serves_again_when_room_returns()
    {
        using var disk = new SmallDisk();
        await using var daemon = await DaemonProcess.StartAsync(stateDir: Path.Combine(disk.Path, "state"));
        using var network = new TestNetwork(daemon);
        using var running = new TestNetns();
        using var refused = new TestNetns();
        Assert.Equal(0, CniRun.Exec("ADD", network.Conf(), "c-running", running.Path, args: CniRun.PodArgs("running")).ExitCode);

        disk.Fill();
        var adds = Enumerable.Range(0, 30).Select(i => CniRun.Exec("ADD", network.Conf(), $"c-refused{i}", refused.Path, args: CniRun.PodArgs($"refused{i}"))).ToList();
        var del = CniRun.Exec("DEL", network.Conf(), "c-running", running.Path, args: CniRun.PodArgs("running"));
        disk.Free();
        var again = CniRun.Exec("ADD", network.Conf(), "c-again", refused.Path, args: CniRun.PodArgs("again"));

        Assert.All(adds, add => Assert.True(add.ExitCode != 0 && add.ErrorCode == 11, add.ToString()));
        Assert.True(del.ExitCode == 0, del.ToString());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.True(daemon.Running, daemon.Log);
        Assert.Contains("state loaded", daemon.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("does not keep its transactions", daemon.Log, StringComparison.Ordinal);
    }
}
