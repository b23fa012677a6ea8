using System.Text.Json.Nodes;

namespace Yurtnet.Integration.Tests;

/// <summary>yurtnet's result works as prevResult for the reference plugins chained after it in the README's conflist.</summary>
[Trait("requirement", "root")]
public sealed class ChainingTests
{
    [RootFact]
    public async Task Portmap_chained_after_yurtnet_maps_a_host_port_to_the_pod_address()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        var add = CniRun.Exec("ADD", network.Conf(), "c-pm", pod.Path, args: CniRun.PodArgs("web"));
        var podIp = add.Json.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];
        var hostPort = 20000 + (Environment.ProcessId % 10000);
        var portmap = new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = network.Name,
            ["type"] = "portmap",
            ["snat"] = true,
            ["runtimeConfig"] = new JsonObject { ["portMappings"] = new JsonArray(new JsonObject { ["hostPort"] = hostPort, ["containerPort"] = 8080, ["protocol"] = "tcp" }) },
            ["prevResult"] = JsonNode.Parse(add.Stdout),
        };

        var mapped = TestNetns.RunWithInput(portmap.ToJsonString(), "/usr/lib/cni/portmap", ("CNI_COMMAND", "ADD"), ("CNI_CONTAINERID", "c-pm"), ("CNI_NETNS", pod.Path), ("CNI_IFNAME", "eth0"), ("CNI_PATH", "/usr/lib/cni"));
        var rules = TestNetns.Run("iptables-save", "-t", "nat").Output;
        var unmapped = TestNetns.RunWithInput(portmap.ToJsonString(), "/usr/lib/cni/portmap", ("CNI_COMMAND", "DEL"), ("CNI_CONTAINERID", "c-pm"), ("CNI_NETNS", pod.Path), ("CNI_IFNAME", "eth0"), ("CNI_PATH", "/usr/lib/cni"));
        CniRun.Exec("DEL", network.Conf(), "c-pm", pod.Path);

        Assert.True(mapped.Code == 0, mapped.Output);
        Assert.Contains($"--dport {hostPort}", rules, StringComparison.Ordinal);
        Assert.Contains($"--to-destination {podIp}:8080", rules, StringComparison.Ordinal);
        Assert.True(unmapped.Code == 0, unmapped.Output);
    }
}
