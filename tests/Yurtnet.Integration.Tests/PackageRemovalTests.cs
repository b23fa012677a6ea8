using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// <c>apt remove</c> (not purge) keeps the plugin and the network (debian/yurtnet.postrm) with yurtnetd gone: the pods
/// still on it are torn down and their releases kept for a reinstall; new pods and STATUS fail naming the removal.
/// </summary>
[Trait("requirement", "root")]
public sealed class PackageRemovalTests
{
    [RootFact]
    public async Task Removed_package_tears_down_old_pods_for_a_reinstall_and_refuses_new_ones_naming_the_removal()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var old = new TestNetns();
        using var fresh = new TestNetns();
        var added = CniRun.Exec("ADD", network.Conf(), "c-old", old.Path, args: CniRun.PodArgs("old-0"));
        Assert.True(added.ExitCode == 0, added.ToString());
        daemon.Stop();
        // What postrm leaves: the marker next to the spool, and no socket (the socket unit is gone).
        var marker = Path.Combine(Path.GetDirectoryName(daemon.SpoolDir)!, "package-removed");
        File.WriteAllText(marker, "yurtnet 0.2.0 removed at 2026-11-30T10:00:00Z");
        var conf = network.Conf(c => (c["socket"], c["cniVersion"]) = (Path.Combine(daemon.Root, "gone", "cni.sock"), "1.1.0"));

        var add = CniRun.Exec("ADD", conf, "c-new", fresh.Path, args: CniRun.PodArgs("new-0"));
        var status = CniRun.Exec("STATUS", conf);
        var del = CniRun.Exec("DEL", conf, "c-old", old.Path);

        Assert.Equal(11, add.ErrorCode);
        Assert.Contains("yurtnet was removed from this node (yurtnet 0.2.0 removed at 2026-11-30T10:00:00Z)", add.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("apt purge yurtnet", add.Json.GetProperty("details").GetString(), StringComparison.Ordinal);
        Assert.Equal(50, status.ErrorCode);
        Assert.Contains("yurtnet was removed from this node", status.ErrorMessage, StringComparison.Ordinal);
        Assert.True(del.ExitCode == 0, del.ToString());
        Assert.Contains("release spooled", del.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, old.Exec("ip", "link", "show", "eth0").Code);

        // Reinstalled: postinst takes the marker away and the daemon starts; the spooled DEL is applied first.
        File.Delete(marker);
        await daemon.StartAgainAsync();
        Assert.Empty(Directory.GetFiles(daemon.SpoolDir, "*" + SpooledRelease.FileSuffix));
        var lease = Assert.Single(await daemon.LeasesAsync(), l => l.Ip.Contains('.', StringComparison.Ordinal));
        Assert.Equal(("held", "default/old-0"), (lease.State, lease.Pod));
        var again = CniRun.Exec("ADD", network.Conf(), "c-new", fresh.Path, args: CniRun.PodArgs("new-0"));
        Assert.True(again.ExitCode == 0, again.ToString());
    }
}
