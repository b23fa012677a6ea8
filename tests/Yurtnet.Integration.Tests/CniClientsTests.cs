using System.Text.Json.Nodes;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// Clients besides kubelet: podman's CNI backend names a container only by <c>K8S_POD_NAME</c> and asks for addresses
/// and MACs through <c>CNI_ARGS</c> (<c>IP</c>, <c>MAC</c>); other runtimes use the <c>ips</c> and <c>mac</c>
/// capabilities. Each is honoured, or refused with code 7, and never silently ignored.
/// </summary>
[Trait("requirement", "root")]
public sealed class CniClientsTests
{
    private static string Address(CniRun add) => add.Json.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];

    [RootFact]
    public async Task Container_named_only_by_k8s_pod_name_keeps_its_address_when_created_again_and_shows_in_leases()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var ns = new TestNetns();
        var first = CniRun.Exec("ADD", network.Conf(), "pm-1", ns.Path, args: "IgnoreUnknown=1;K8S_POD_NAME=web");
        Assert.True(first.ExitCode == 0, first.ToString());
        var lease = Assert.Single(await daemon.LeasesAsync());
        Assert.Equal("local/web", lease.Pod);

        // podman rm + run (a new container id), or a network reload: DEL, then ADD under the same name.
        Assert.Equal(0, CniRun.Exec("DEL", network.Conf(), "pm-1", ns.Path, args: "IgnoreUnknown=1;K8S_POD_NAME=web").ExitCode);
        using var other = new TestNetns();
        var stranger = CniRun.Exec("ADD", network.Conf(), "pm-2", other.Path, args: "IgnoreUnknown=1;K8S_POD_NAME=db");
        var again = CniRun.Exec("ADD", network.Conf(), "pm-3", ns.Path, args: "IgnoreUnknown=1;K8S_POD_NAME=web");

        Assert.True(again.ExitCode == 0 && stranger.ExitCode == 0, again + "\n" + stranger);
        Assert.Equal(Address(first), Address(again));
        Assert.NotEqual(Address(first), Address(stranger));

        // The conflist can name the namespace of such containers.
        using var third = new TestNetns();
        Assert.Equal(0, CniRun.Exec("ADD", network.Conf(c => c["localPodNamespace"] = "podman"), "pm-4", third.Path, args: "IgnoreUnknown=1;K8S_POD_NAME=cache").ExitCode);
        Assert.Contains(await daemon.LeasesAsync(), l => l.Pod == "podman/cache");
        CniRun.Exec("DEL", network.Conf(), "pm-2", other.Path);
        CniRun.Exec("DEL", network.Conf(), "pm-3", ns.Path);
        CniRun.Exec("DEL", network.Conf(), "pm-4", third.Path);
    }

    [RootFact]
    public async Task Ip_and_mac_in_cni_args_are_honoured_and_an_address_in_use_is_code_7_naming_its_holder()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var web = new TestNetns();
        using var db = new TestNetns();
        var wanted = network.V4.Replace(".0/24", ".50", StringComparison.Ordinal);

        var add = CniRun.Exec("ADD", network.Conf(), "pm-web", web.Path, args: $"IgnoreUnknown=1;K8S_POD_NAME=web;IP={wanted};MAC=02:42:0A:62:00:32");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal(wanted, Address(add));
        Assert.Contains("link/ether 02:42:0a:62:00:32", web.Exec("ip", "link", "show", "eth0").Output, StringComparison.Ordinal);
        Assert.Contains(add.Json.GetProperty("interfaces").EnumerateArray(), i => i.GetProperty("name").GetString() == "eth0" && i.GetProperty("mac").GetString() == "02:42:0a:62:00:32");
        var check = CniRun.Exec("CHECK", network.Conf(c => c["prevResult"] = JsonNode.Parse(add.Stdout)), "pm-web", web.Path, args: "IgnoreUnknown=1;K8S_POD_NAME=web");
        Assert.True(check.ExitCode == 0, check.ToString());

        var taken = CniRun.Exec("ADD", network.Conf(), "pm-db", db.Path, args: $"IgnoreUnknown=1;K8S_POD_NAME=db;IP={wanted}");

        Assert.Equal(7, taken.ErrorCode);
        Assert.Contains($"CNI_ARGS IP: requested address {wanted} is in use by container local/web", taken.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(await daemon.LeasesAsync(), l => l.Pod == "local/db");
        var bad = CniRun.Exec("ADD", network.Conf(), "pm-db", db.Path, args: "IgnoreUnknown=1;K8S_POD_NAME=db;MAC=01:00:5e:00:00:01");
        Assert.Equal(7, bad.ErrorCode);
        var twin = CniRun.Exec("ADD", network.Conf(), "pm-db", db.Path, args: "IgnoreUnknown=1;K8S_POD_NAME=db;MAC=02:42:0a:62:00:32");
        Assert.Equal(7, twin.ErrorCode);
        Assert.Contains("requested MAC 02:42:0a:62:00:32 is in use", twin.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Contains("by container local/web", twin.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
        CniRun.Exec("DEL", network.Conf(), "pm-web", web.Path);
    }

    [RootFact]
    public async Task Ips_and_mac_capabilities_from_runtime_config_are_honoured()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "dual", "1.0.0");
        using var pod = new TestNetns();
        var v4 = network.V4.Replace(".0/24", ".60", StringComparison.Ordinal);
        var v6 = network.V6.Replace("::/64", "::60", StringComparison.Ordinal);
        var conf = network.Conf(c => c["runtimeConfig"] = new JsonObject { ["ips"] = new JsonArray($"{v4}/24", $"{v6}/64"), ["mac"] = "02:42:0a:62:00:60" });

        var add = CniRun.Exec("ADD", conf, "rc-1", pod.Path, args: CniRun.PodArgs("static"));

        Assert.True(add.ExitCode == 0, add.ToString());
        var ips = add.Json.GetProperty("ips").EnumerateArray().Select(ip => ip.GetProperty("address").GetString()).ToList();
        Assert.Equal([$"{v4}/24", $"{v6}/64"], ips);
        Assert.Contains("link/ether 02:42:0a:62:00:60", pod.Exec("ip", "link", "show", "eth0").Output, StringComparison.Ordinal);
        CniRun.Exec("DEL", network.Conf(), "rc-1", pod.Path);
    }
}
