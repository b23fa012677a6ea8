namespace Yurtnet.Integration.Tests;

/// <summary>
/// Host state yurtnet made and another program removed (a reload of nftables.service, an administrator's ip command)
/// is put back by the next ADD or CHECK, and said in the log; never trusted from a marker file alone.
/// </summary>
[Trait("requirement", "root")]
public sealed class HostRepairTests
{
    [RootFact]
    public async Task Masquerade_chain_flushed_by_another_program_is_installed_again_by_the_next_add_and_by_check()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var a = new TestNetns();
        using var b = new TestNetns();
        var addA = CniRun.Exec("ADD", network.Conf(), "c-a", a.Path, args: CniRun.PodArgs("a"));
        var chain = Assert.Single(network.MasqueradeChains());

        Assert.Equal(0, TestNetns.Run("nft", "delete", "chain", "inet", "yurtnet", chain).Code);
        var addB = CniRun.Exec("ADD", network.Conf(), "c-b", b.Path, args: CniRun.PodArgs("b"));
        Assert.Equal([chain], network.MasqueradeChains());
        Assert.Contains("masquerade chain was gone", addB.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, TestNetns.Run("nft", "delete", "chain", "inet", "yurtnet", chain).Code);
        var check = CniRun.Exec("CHECK", network.Conf(c => c["prevResult"] = System.Text.Json.Nodes.JsonNode.Parse(addA.Stdout)), "c-a", a.Path);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Equal([chain], network.MasqueradeChains());
        Assert.Contains("repaired: the masquerade chain was gone", check.Stderr, StringComparison.Ordinal);
        CniRun.Exec("DEL", network.Conf(), "c-a", a.Path);
        CniRun.Exec("DEL", network.Conf(), "c-b", b.Path);
    }

    [RootFact]
    public async Task Bridge_address_removed_and_forwarding_turned_off_are_restored_by_check()
    {
        // In a gateway namespace of its own: forwarding is per namespace, and every other test's ADD on the host turns
        // the host's back on.
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var gw = new TestNetns("yns-gw");
        using var pod = new TestNetns();
        var add = CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"), inNetns: gw.Name);
        Assert.True(add.ExitCode == 0, add.ToString());
        var gateway = network.V4.Replace(".0/24", ".1", StringComparison.Ordinal);
        Assert.Equal(0, gw.Exec("ip", "addr", "flush", "dev", network.Bridge).Code);
        Assert.Equal(0, gw.Exec("sysctl", "-qw", "net.ipv4.ip_forward=0").Code);

        var check = CniRun.Exec("CHECK", network.Conf(c => c["prevResult"] = System.Text.Json.Nodes.JsonNode.Parse(add.Stdout)), "c1", pod.Path, inNetns: gw.Name);

        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("gateway address(es) of bridge", check.Stderr, StringComparison.Ordinal);
        Assert.Contains("net.ipv4.ip_forward was 0", check.Stderr, StringComparison.Ordinal);
        Assert.Equal("1", gw.Exec("cat", "/proc/sys/net/ipv4/ip_forward").Output.Trim());
        Assert.Equal(0, pod.Exec("ping", "-c1", "-W2", gateway).Code);
        CniRun.Exec("DEL", network.Conf(), "c1", pod.Path, inNetns: gw.Name);
    }

    [RootFact]
    public async Task Bridge_deleted_under_running_pods_is_made_again_by_the_next_add_with_the_old_pods_on_it()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var a = new TestNetns();
        using var b = new TestNetns();
        var addA = CniRun.Exec("ADD", network.Conf(), "c-a", a.Path, args: CniRun.PodArgs("a"));
        Assert.Equal(0, TestNetns.Run("ip", "link", "delete", network.Bridge).Code);

        var addB = CniRun.Exec("ADD", network.Conf(), "c-b", b.Path, args: CniRun.PodArgs("b"));
        var addressA = addA.Json.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];

        Assert.True(addB.ExitCode == 0, addB.ToString());
        Assert.Contains("1 other pod(s) attached again", addB.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, b.Exec("ping", "-c1", "-W2", addressA).Code);
        CniRun.Exec("DEL", network.Conf(), "c-a", a.Path);
        CniRun.Exec("DEL", network.Conf(), "c-b", b.Path);
    }
}
