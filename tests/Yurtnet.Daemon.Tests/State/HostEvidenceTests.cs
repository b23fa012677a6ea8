using System.Text;
using System.Text.Json.Nodes;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

public sealed class HostEvidenceTests
{
    /// <summary>A result cache file as libcni writes it (kind cniCacheV1; config is the conflist, base64 as Go encodes []byte).</summary>
    internal static string CacheFile(string containerId, string network, string pluginType, params string[] addresses)
    {
        var conflist = new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = network,
            ["plugins"] = new JsonArray(new JsonObject { ["type"] = pluginType, ["bridge"] = "yurt0" }, new JsonObject { ["type"] = "portmap" }),
        };
        JsonArray Pair(string key, string value) => new(key, value);
        return new JsonObject
        {
            ["kind"] = "cniCacheV1",
            ["containerId"] = containerId,
            ["config"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(conflist.ToJsonString())),
            ["ifName"] = "eth0",
            ["networkName"] = network,
            ["netns"] = $"/var/run/netns/cni-{containerId}",
            ["cniArgs"] = new JsonArray(Pair("IgnoreUnknown", "1"), Pair("K8S_POD_NAMESPACE", "shop"), Pair("K8S_POD_NAME", "till-0"), Pair("K8S_POD_INFRA_CONTAINER_ID", containerId), Pair("K8S_POD_UID", "u-1")),
            ["result"] = new JsonObject
            {
                ["cniVersion"] = "1.0.0",
                ["interfaces"] = new JsonArray(new JsonObject { ["name"] = "yurt0" }, new JsonObject { ["name"] = "eth0", ["sandbox"] = $"/var/run/netns/cni-{containerId}" }),
                ["ips"] = new JsonArray(addresses.Select(a => (JsonNode)new JsonObject { ["address"] = a, ["interface"] = 1 }).ToArray()),
            },
        }.ToJsonString();
    }

    [Fact]
    public void Cached_attachment_of_a_yurtnet_network_gives_its_addresses_and_pod()
    {
        var found = HostEvidence.Read(Encoding.UTF8.GetBytes(CacheFile("abc123", "edge", "yurtnet", "10.22.0.7/24", "fd00:22::7/64")));

        Assert.NotNull(found);
        Assert.Equal(("abc123", "eth0", "edge", "shop", "till-0", "u-1"), (found.ContainerId, found.IfName, found.Network, found.PodNamespace, found.PodName, found.PodUid));
        Assert.Equal(["10.22.0.7/24", "fd00:22::7/64"], found.Addresses.Select(a => $"{a.Address}/{a.PrefixLength}"));
    }

    [Theory]
    [InlineData("bridge")]
    [InlineData("flannel")]
    public void Attachment_of_another_plugins_network_is_not_ours(string plugin)
    {
        Assert.Null(HostEvidence.Read(Encoding.UTF8.GetBytes(CacheFile("abc123", "other", plugin, "10.88.0.7/16"))));
    }

    [Fact]
    public void Legacy_cache_file_without_a_kind_is_skipped()
    {
        Assert.Null(HostEvidence.Read("""{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.22.0.7/24"}]}"""u8));
    }

    [Fact]
    public void A_container_cached_with_only_k8s_pod_name_comes_back_local_in_the_networks_local_pod_namespace()
    {
        var file = JsonNode.Parse(CacheFile("pm1", "edge", "yurtnet", "10.22.0.9/24"))!.AsObject();
        file["cniArgs"] = new JsonArray(new JsonArray("IgnoreUnknown", "1"), new JsonArray("K8S_POD_NAME", "web"));
        var conflist = JsonNode.Parse(Convert.FromBase64String(file["config"]!.GetValue<string>()))!;
        conflist["plugins"]![0]!["localPodNamespace"] = "podman";
        file["config"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(conflist.ToJsonString()));

        var found = HostEvidence.Read(Encoding.UTF8.GetBytes(file.ToJsonString()));

        Assert.NotNull(found);
        Assert.Equal(("podman", "web", true), (found.PodNamespace, found.PodName, found.PodLocal));
        Assert.False(HostEvidence.Read(Encoding.UTF8.GetBytes(CacheFile("abc123", "edge", "yurtnet", "10.22.0.7/24")))!.PodLocal);
    }
}
