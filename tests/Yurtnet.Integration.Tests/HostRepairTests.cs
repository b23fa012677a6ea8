using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// Host state yurtnet made and another program removed (a reload of nftables.service, an administrator's ip command)
/// is put back by the next ADD or CHECK and by yurtnetd's reconciler, and said in the log; never trusted from a marker
/// file alone. A network's masquerade chain goes with its last lease, whichever way that lease went.
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

    [RootFact]
    public async Task Reconciler_puts_back_the_bridge_its_gateways_the_pods_ports_forwarding_and_the_masquerade_chain_that_another_program_removed()
    {
        // yurtnetd and the plugin in a gateway namespace of their own: the test breaks that namespace's host state.
        using var gw = new TestNetns("yns-gw");
        await using var daemon = new DaemonProcess();
        await daemon.StartInNetnsAsync(gw.Name);
        using var network = new TestNetwork(daemon, "dual", "1.1.0");
        using var a = new TestNetns();
        using var b = new TestNetns();
        var addA = CniRun.Exec("ADD", network.Conf(), "c-a", a.Path, args: CniRun.PodArgs("a"), inNetns: gw.Name);
        var addB = CniRun.Exec("ADD", network.Conf(), "c-b", b.Path, args: CniRun.PodArgs("b"), inNetns: gw.Name);
        Assert.True(addA.ExitCode == 0 && addB.ExitCode == 0, addA + "\n" + addB);
        var addressB = addB.Json.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];
        var gateway6 = network.V6.Replace("::/64", "::1", StringComparison.Ordinal);
        Assert.Equal(0, gw.Exec("nft", "flush", "ruleset").Code);
        Assert.Equal(0, gw.Exec("ip", "link", "delete", network.Bridge).Code);
        Assert.Equal(0, gw.Exec("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0").Code);
        Assert.NotEqual(0, a.Exec("ping", "-c1", "-W1", addressB).Code);

        var repairs = daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs;

        var all = string.Join("\n", repairs);
        Assert.True(all.Contains($"bridge {network.Bridge} was gone: made again", StringComparison.Ordinal), all + "\n" + daemon.Log);
        Assert.Contains("2 pod port(s) were off bridge", all, StringComparison.Ordinal);
        Assert.Contains("net.ipv4.ip_forward was 0: set to 1", all, StringComparison.Ordinal);
        Assert.Contains("net.ipv6.conf.all.forwarding was 0: set to 1", all, StringComparison.Ordinal);
        Assert.Contains("the masquerade chain was gone", all, StringComparison.Ordinal);
        Assert.Single(network.MasqueradeChains(gw));
        Assert.Equal("1", gw.Exec("cat", "/proc/sys/net/ipv4/ip_forward").Output.Trim());
        Assert.Equal(0, a.Exec("ping", "-c1", "-W2", addressB).Code);
        Assert.Equal(0, a.Exec("ping", "-c1", "-W2", gateway6).Code);
        Assert.Contains("host repair: network", daemon.Log, StringComparison.Ordinal);

        // Only the gateway address flushed, the pods' ports and the rest in place: only that is put back; then nothing.
        Assert.Equal(0, gw.Exec("ip", "addr", "flush", "dev", network.Bridge).Code);
        var second = daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs;
        Assert.True(second.Count == 1 && second[0].Contains("gateway address(es)", StringComparison.Ordinal), string.Join("\n", second));
        Assert.Empty(daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs);
        Assert.Equal(0, a.Exec("ping", "-c1", "-W2", gateway6).Code);
        CniRun.Exec("DEL", network.Conf(), "c-a", a.Path, inNetns: gw.Name);
        CniRun.Exec("DEL", network.Conf(), "c-b", b.Path, inNetns: gw.Name);
        Assert.Empty(network.MasqueradeChains(gw));
    }

    [RootFact]
    public async Task Masquerade_chain_goes_with_the_networks_last_lease_also_when_that_lease_went_by_the_spool_or_by_cni_gc()
    {
        using var gw = new TestNetns("yns-gw");
        await using var daemon = new DaemonProcess();
        await daemon.StartInNetnsAsync(gw.Name);
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var a = new TestNetns();
        Assert.Equal(0, CniRun.Exec("ADD", network.Conf(), "c-a", a.Path, args: CniRun.PodArgs("a"), inNetns: gw.Name).ExitCode);
        Assert.Single(network.MasqueradeChains(gw));

        // The DEL is spooled while yurtnetd is down; the plugin cannot know the network went idle.
        daemon.Kill();
        var del = CniRun.Exec("DEL", network.Conf(), "c-a", a.Path, inNetns: gw.Name);
        Assert.True(del.ExitCode == 0 && del.Stderr.Contains("spooled", StringComparison.Ordinal), del.ToString());
        Assert.Single(network.MasqueradeChains(gw));
        await daemon.StartInNetnsAsync(gw.Name);

        var repairs = daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs;

        Assert.Contains(repairs, r => r.Contains("masquerade chain removed", StringComparison.Ordinal));
        Assert.Empty(network.MasqueradeChains(gw));

        // A lease released by the runtime's CNI GC (containerd 2, CRI-O) takes the chain with it the same way.
        using var b = new TestNetns();
        Assert.Equal(0, CniRun.Exec("ADD", network.Conf(), "c-b", b.Path, args: CniRun.PodArgs("b"), inNetns: gw.Name).ExitCode);
        Assert.Single(network.MasqueradeChains(gw));
        var gc = CniRun.Exec("GC", network.Conf(c => c["cni.dev/valid-attachments"] = new System.Text.Json.Nodes.JsonArray()), "", "", inNetns: gw.Name);
        Assert.True(gc.ExitCode == 0, gc.ToString());
        Assert.Contains(daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs, r => r.Contains("masquerade chain removed", StringComparison.Ordinal));
        Assert.Empty(network.MasqueradeChains(gw));
        Assert.Empty(daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs);
    }

    [RootFact]
    public async Task Reconciler_makes_nothing_again_for_pods_whose_veths_are_gone_and_one_step_that_cannot_be_done_does_not_stop_the_others()
    {
        using var gw = new TestNetns("yns-gw");
        await using var daemon = new DaemonProcess();
        await daemon.StartInNetnsAsync(gw.Name);
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var a = new TestNetns();
        Assert.Equal(0, CniRun.Exec("ADD", network.Conf(), "c-a", a.Path, args: CniRun.PodArgs("a"), inNetns: gw.Name).ExitCode);
        var hostVeth = HostVethName.For(CniRun.ContainerId("c-a", network.Conf()), "eth0");

        // A link of the bridge's name that is no bridge (another program's), and the ruleset flushed: the bridge's
        // steps are refused and said, the masquerade chain is still put back.
        Assert.Equal(0, gw.Exec("ip", "link", "delete", network.Bridge).Code);
        Assert.Equal(0, gw.Exec("ip", "link", "add", network.Bridge, "type", "veth", "peer", "name", "ytnotabr").Code);
        Assert.Equal(0, gw.Exec("nft", "flush", "ruleset").Code);
        var repairs = daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs;
        Assert.Contains(repairs, r => r.Contains("the masquerade chain was gone", StringComparison.Ordinal));
        Assert.Single(network.MasqueradeChains(gw));
        Assert.True(await Eventually.WaitForAsync(() => daemon.Log.Contains("is a veth, not a bridge", StringComparison.Ordinal)), daemon.Log);
        Assert.Contains("veth", gw.Exec("ip", "-d", "-o", "link", "show", network.Bridge).Output, StringComparison.Ordinal);

        // The sandbox went without a DEL (its veth with it): its active lease is no reason to make the bridge again.
        Assert.Equal(0, gw.Exec("ip", "link", "delete", network.Bridge).Code);
        Assert.Equal(0, gw.Exec("ip", "link", "delete", hostVeth).Code);
        var none = daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs;
        Assert.DoesNotContain(none, r => r.Contains("made again", StringComparison.Ordinal));
        Assert.NotEqual(0, gw.Exec("ip", "link", "show", network.Bridge).Code);
        CniRun.Exec("DEL", network.Conf(), "c-a", a.Path, inNetns: gw.Name);
    }

    [RootFact]
    public async Task Reconciler_removes_a_masquerade_chain_whose_network_no_lease_names_any_more()
    {
        using var gw = new TestNetns("yns-gw");
        await using var daemon = new DaemonProcess();
        await daemon.StartInNetnsAsync(gw.Name);
        // As a plugin of an earlier build left it: a chain and its marker, for a network yurtnetd has no lease of.
        var chain = HostNames.MasqueradeChain("gone-network");
        var markers = Path.Combine(Path.GetDirectoryName(daemon.Socket)!, "masq");
        Directory.CreateDirectory(markers);
        File.WriteAllBytes(Path.Combine(markers, chain + ".0123456789abcdef"), []);
        Assert.Equal(0, gw.Exec("nft", $"add table inet yurtnet; add chain inet yurtnet {chain} {{ type nat hook postrouting priority srcnat; policy accept; }}").Code);

        var repairs = daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs;

        Assert.Contains(repairs, r => r.Contains($"masquerade chain {chain}", StringComparison.Ordinal) && r.Contains("removed", StringComparison.Ordinal));
        Assert.DoesNotContain(chain, gw.Exec("nft", "list", "table", "inet", "yurtnet").Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(markers, chain + ".*"));
    }

    [RootFact]
    public async Task A_full_card_that_stops_the_releases_does_not_stop_the_host_repair()
    {
        using var disk = new SmallDisk();
        using var gw = new TestNetns("yns-gw");
        await using var daemon = new DaemonProcess(", \"reconcileInterval\": \"1s\"", leaseHold: "1s", stateDir: Path.Combine(disk.Path, "state"));
        await daemon.StartInNetnsAsync(gw.Name);
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var a = new TestNetns();
        using var b = new TestNetns();
        Assert.Equal(0, CniRun.Exec("ADD", network.Conf(), "c-a", a.Path, args: CniRun.PodArgs("a"), inNetns: gw.Name).ExitCode);
        Assert.Equal(0, CniRun.Exec("ADD", network.Conf(), "c-b", b.Path, args: CniRun.PodArgs("b"), inNetns: gw.Name).ExitCode);
        Assert.Equal(0, CniRun.Exec("DEL", network.Conf(), "c-b", b.Path, inNetns: gw.Name).ExitCode);

        // The hold of b's address expires on a full card: each pass's release fails. The flushed chain comes back anyway.
        disk.Fill();
        Assert.True(await Eventually.WaitForAsync(() => daemon.Log.Contains("reconcile pass failed", StringComparison.Ordinal), TimeSpan.FromSeconds(20)), daemon.Log);
        Assert.Equal(0, gw.Exec("nft", "flush", "ruleset").Code);

        Assert.True(await Eventually.WaitForAsync(() => network.MasqueradeChains(gw).Count == 1, TimeSpan.FromSeconds(20)), daemon.Log);
        disk.Free();
        CniRun.Exec("DEL", network.Conf(), "c-a", a.Path, inNetns: gw.Name);
    }
}
