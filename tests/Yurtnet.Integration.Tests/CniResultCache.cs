using System.Text;
using System.Text.Json.Nodes;

namespace Yurtnet.Integration.Tests;

/// <summary>Writes the result cache file libcni (containerd, CRI-O, podman) keeps for an attachment after a successful ADD.</summary>
internal static class CniResultCache
{
    public static void Write(string directory, JsonNode conf, string containerId, string ifName, string netns, string cniArgs, string result)
    {
        Directory.CreateDirectory(directory);
        var network = conf["name"]!.GetValue<string>();
        var id = CniRun.ContainerId(containerId, conf);
        var conflist = new JsonObject { ["cniVersion"] = conf["cniVersion"]!.GetValue<string>(), ["name"] = network, ["plugins"] = new JsonArray(conf.DeepClone()) };
        var args = new JsonArray(cniArgs.Split(';').Select(pair => pair.Split('=', 2)).Select(kv => (JsonNode)new JsonArray(kv[0], kv[1])).ToArray());
        var cached = new JsonObject
        {
            ["kind"] = "cniCacheV1",
            ["containerId"] = id,
            ["config"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(conflist.ToJsonString())),
            ["ifName"] = ifName,
            ["networkName"] = network,
            ["netns"] = netns,
            ["cniArgs"] = args,
            ["result"] = JsonNode.Parse(result),
        };
        File.WriteAllText(Path.Combine(directory, $"{network}-{id}-{ifName}"), cached.ToJsonString());
    }
}
