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
        await using var gw = await Gateway.StartAsync("dual");
        using var a = new TestNetns();
        using var b = new TestNetns();
        var addA = gw.Add("c-a", a);
        var addB = gw.Add("c-b", b);
        Assert.True(addA.ExitCode == 0 && addB.ExitCode == 0, addA + "\n" + addB);
        var addressB = addB.Json.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];
        var gateway6 = gw.Network.V6.Replace("::/64", "::1", StringComparison.Ordinal);
        gw.Exec("nft", "flush", "ruleset");
        gw.Exec("ip", "link", "delete", gw.Network.Bridge);
        gw.Exec("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
        Assert.NotEqual(0, a.Exec("ping", "-c1", "-W1", addressB).Code);

        var all = string.Join("\n", gw.Repair());

        Assert.True(all.Contains($"bridge {gw.Network.Bridge} was gone: made again", StringComparison.Ordinal), all + "\n" + gw.Daemon.Log);
        Assert.Contains("2 pod port(s) were off bridge", all, StringComparison.Ordinal);
        Assert.Contains("net.ipv4.ip_forward was 0: set to 1", all, StringComparison.Ordinal);
        Assert.Contains("net.ipv6.conf.all.forwarding was 0: set to 1", all, StringComparison.Ordinal);
        Assert.Contains("the masquerade chain was gone", all, StringComparison.Ordinal);
        Assert.Single(gw.Chains());
        Assert.Equal("1", gw.Exec("cat", "/proc/sys/net/ipv4/ip_forward").Trim());
        Assert.Equal(0, a.Exec("ping", "-c1", "-W2", addressB).Code);
        Assert.Equal(0, a.Exec("ping", "-c1", "-W2", gateway6).Code);
        Assert.Contains("host repair: network", gw.Daemon.Log, StringComparison.Ordinal);

        // Only the gateway address flushed, the pods' ports and the rest in place: only that is put back; then nothing.
        gw.Exec("ip", "addr", "flush", "dev", gw.Network.Bridge);
        var second = gw.Repair();
        Assert.True(second.Count == 1 && second[0].Contains("gateway address(es)", StringComparison.Ordinal), string.Join("\n", second));
        Assert.Empty(gw.Repair());
        Assert.Equal(0, a.Exec("ping", "-c1", "-W2", gateway6).Code);
        gw.Del("c-a", a);
        gw.Del("c-b", b);
        Assert.Empty(gw.Chains());
    }

    [RootFact]
    public async Task Masquerade_chain_goes_with_the_networks_last_lease_also_when_that_lease_went_by_the_spool_or_by_cni_gc()
    {
        await using var gw = await Gateway.StartAsync();
        using var a = new TestNetns();
        Assert.Equal(0, gw.Add("c-a", a).ExitCode);
        Assert.Single(gw.Chains());

        // The DEL is spooled while yurtnetd is down; the plugin cannot know the network went idle.
        gw.Daemon.Kill();
        var del = gw.Del("c-a", a);
        Assert.True(del.ExitCode == 0 && del.Stderr.Contains("spooled", StringComparison.Ordinal), del.ToString());
        Assert.Single(gw.Chains());
        await gw.Daemon.StartInNetnsAsync(gw.Netns.Name);

        Assert.Contains(gw.Repair(), r => r.Contains("masquerade chain removed", StringComparison.Ordinal));
        Assert.Empty(gw.Chains());

        // A lease released by the runtime's CNI GC (containerd 2, CRI-O) takes the chain with it the same way.
        using var b = new TestNetns();
        Assert.Equal(0, gw.Add("c-b", b).ExitCode);
        Assert.Single(gw.Chains());
        var gc = CniRun.Exec("GC", gw.Network.Conf(c => c["cni.dev/valid-attachments"] = new System.Text.Json.Nodes.JsonArray()), "", "", inNetns: gw.Netns.Name);
        Assert.True(gc.ExitCode == 0, gc.ToString());
        Assert.Contains(gw.Repair(), r => r.Contains("masquerade chain removed", StringComparison.Ordinal));
        Assert.Empty(gw.Chains());
        Assert.Empty(gw.Repair());
    }

    [RootFact]
    public async Task Reconciler_makes_nothing_again_for_pods_whose_veths_are_gone_and_one_step_that_cannot_be_done_does_not_stop_the_others()
    {
        await using var gw = await Gateway.StartAsync();
        using var a = new TestNetns();
        Assert.Equal(0, gw.Add("c-a", a).ExitCode);
        var hostVeth = HostVethName.For(CniRun.ContainerId("c-a", gw.Network.Conf()), "eth0");

        // A link of the bridge's name that is no bridge (another program's), and the ruleset flushed: the bridge's
        // steps are refused and said, the masquerade chain is still put back.
        gw.Exec("ip", "link", "delete", gw.Network.Bridge);
        gw.Exec("ip", "link", "add", gw.Network.Bridge, "type", "veth", "peer", "name", "ytnotabr");
        gw.Exec("nft", "flush", "ruleset");
        Assert.Contains(gw.Repair(), r => r.Contains("the masquerade chain was gone", StringComparison.Ordinal));
        Assert.Single(gw.Chains());
        Assert.True(await Eventually.WaitForAsync(() => gw.Daemon.Log.Contains("is a veth, not a bridge", StringComparison.Ordinal)), gw.Daemon.Log);
        Assert.Contains("veth", gw.Exec("ip", "-d", "-o", "link", "show", gw.Network.Bridge), StringComparison.Ordinal);

        // The sandbox went without a DEL (its veth with it): its active lease is no reason to make the bridge again.
        gw.Exec("ip", "link", "delete", gw.Network.Bridge);
        gw.Exec("ip", "link", "delete", hostVeth);
        Assert.DoesNotContain(gw.Repair(), r => r.Contains("made again", StringComparison.Ordinal));
        Assert.NotEqual(0, gw.Netns.Exec("ip", "link", "show", gw.Network.Bridge).Code);
        gw.Del("c-a", a);
    }

    [RootFact]
    public async Task Reconciler_removes_a_masquerade_chain_whose_network_no_lease_names_any_more()
    {
        await using var gw = await Gateway.StartAsync();
        // As a plugin of an earlier build left it: a chain and its marker, for a network yurtnetd has no lease of.
        var chain = HostNames.MasqueradeChain("gone-network");
        var markers = Path.Combine(Path.GetDirectoryName(gw.Daemon.Socket)!, "masq");
        Directory.CreateDirectory(markers);
        File.WriteAllBytes(Path.Combine(markers, chain + ".0123456789abcdef"), []);
        gw.Exec("nft", $"add table inet yurtnet; add chain inet yurtnet {chain} {{ type nat hook postrouting priority srcnat; policy accept; }}");

        var repairs = gw.Repair();

        Assert.Contains(repairs, r => r.Contains($"masquerade chain {chain}", StringComparison.Ordinal) && r.Contains("removed", StringComparison.Ordinal));
        Assert.DoesNotContain(chain, gw.Exec("nft", "list", "table", "inet", "yurtnet"), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(markers, chain + ".*"));
    }

    [RootFact]
    public async Task A_full_card_that_stops_the_releases_does_not_stop_the_host_repair()
    {
        using var disk = new SmallDisk();
        await using var gw = await Gateway.StartAsync(extraJson: ", \"reconcileInterval\": \"1s\"", leaseHold: "1s", stateDir: Path.Combine(disk.Path, "state"));
        using var a = new TestNetns();
        using var b = new TestNetns();
        Assert.Equal(0, gw.Add("c-a", a).ExitCode);
        Assert.Equal(0, gw.Add("c-b", b).ExitCode);
        Assert.Equal(0, gw.Del("c-b", b).ExitCode);

        // The hold of b's address expires on a full card: each pass's release fails. The flushed chain comes back anyway.
        disk.Fill();
        Assert.True(await Eventually.WaitForAsync(() => gw.Daemon.Log.Contains("reconcile pass failed", StringComparison.Ordinal), TimeSpan.FromSeconds(20)), gw.Daemon.Log);
        gw.Exec("nft", "flush", "ruleset");

        Assert.True(await Eventually.WaitForAsync(() => gw.Chains().Count == 1, TimeSpan.FromSeconds(20)), gw.Daemon.Log);
        disk.Free();
        gw.Del("c-a", a);
    }

    /// <summary>
    /// yurtnetd and the plugin in a gateway namespace of their own, with one network: the tests break that namespace's
    /// host state (and forwarding is per namespace), so no other test's ADD repairs it first.
    /// </summary>
    private sealed class Gateway : IAsyncDisposable
    {
        private Gateway(DaemonProcess daemon, string families)
        {
            Daemon = daemon;
            Network = new TestNetwork(daemon, families, "1.1.0");
        }

        public TestNetns Netns { get; } = new("yns-gw");

        public DaemonProcess Daemon { get; }

        public TestNetwork Network { get; }

        public static async Task<Gateway> StartAsync(string families = "v4", string extraJson = "", string leaseHold = "10m", string? stateDir = null)
        {
            var gateway = new Gateway(new DaemonProcess(extraJson, leaseHold, stateDir), families);
            await gateway.Daemon.StartInNetnsAsync(gateway.Netns.Name);
            return gateway;
        }

        /// <summary>ADD of a pod named like its container, through the plugin run in the gateway's namespace.</summary>
        public CniRun Add(string container, TestNetns pod) => CniRun.Exec("ADD", Network.Conf(), container, pod.Path, args: CniRun.PodArgs(container), inNetns: Netns.Name);

        public CniRun Del(string container, TestNetns pod) => CniRun.Exec("DEL", Network.Conf(), container, pod.Path, inNetns: Netns.Name);

        /// <summary>One reconcile pass now (<c>yurtnetctl gc</c>): what it put back or removed.</summary>
        public List<string> Repair() => Daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs;

        public List<string> Chains() => Network.MasqueradeChains(Netns);

        /// <summary>A command in the gateway's namespace that must succeed; its output.</summary>
        public string Exec(params string[] command)
        {
            var (code, output) = Netns.Exec(command);
            return code == 0 ? output : throw new InvalidOperationException($"{string.Join(' ', command)} in {Netns.Name}: exit {code}: {output}");
        }

        public async ValueTask DisposeAsync()
        {
            Network.Dispose();
            await Daemon.DisposeAsync();
            Netns.Dispose();
        }
    }
}
