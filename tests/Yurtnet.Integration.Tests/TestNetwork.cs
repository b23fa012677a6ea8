using System.Text.Json.Nodes;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// A CNI network of its own for one test: unique name, bridge and subnets, so tests can run in parallel on
/// one host without sharing a bridge, a route or an nftables chain.
/// </summary>
internal sealed class TestNetwork : IDisposable
{
    private static int _counter;

    public TestNetwork(DaemonProcess daemon, string families = "dual", string version = "1.0.0")
    {
        var n = Interlocked.Increment(ref _counter);
        var site = 100 + (Environment.ProcessId % 150);
        Daemon = daemon;
        Name = $"yt-{Environment.ProcessId}-{n}";
        Bridge = $"ytb{Environment.ProcessId % 10000}x{n}";
        V4 = $"10.{site}.{n}.0/24";
        V6 = $"fd{site:x2}:{n:x}::/64";
        Families = families;
        Version = version;
    }

    public DaemonProcess Daemon { get; }
    public string Name { get; }
    public string Bridge { get; }
    public string V4 { get; }
    public string V6 { get; }
    public string Families { get; }
    public string Version { get; }

    public IReadOnlyList<string> Subnets => Families switch
    {
        "v4" => [V4],
        "v6" => [V6],
        _ => [V4, V6],
    };

    /// <summary>The plugin configuration as the runtime would pass it, with optional changes.</summary>
    public JsonObject Conf(Action<JsonObject>? change = null)
    {
        var conf = new JsonObject
        {
            ["cniVersion"] = Version,
            ["name"] = Name,
            ["type"] = "yurtnet",
            ["bridge"] = Bridge,
            ["socket"] = Daemon.Socket,
            ["spoolDir"] = Daemon.SpoolDir,
            ["daemonWaitSeconds"] = 2,
            ["ipam"] = new JsonObject { ["subnets"] = new JsonArray(Subnets.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()) },
        };
        change?.Invoke(conf);
        return conf;
    }

    public void Dispose()
    {
        TestNetns.Run("ip", "link", "delete", Bridge);
        // The plugin removes the chain with the last lease; this only cleans up after a failed test.
        foreach (var chain in MasqueradeChains())
        {
            TestNetns.Run("nft", "delete", "chain", "inet", "yurtnet", chain);
        }
    }

    /// <summary>This network's chains in the kernel's <c>inet yurtnet</c> table, of the host or of <paramref name="gateway"/>.</summary>
    public List<string> MasqueradeChains(TestNetns? gateway = null)
    {
        var prefix = "net_" + new string(Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray()) + "_";
        var listed = gateway is null ? TestNetns.Run("nft", "list", "table", "inet", "yurtnet") : gateway.Exec("nft", "list", "table", "inet", "yurtnet");
        return listed.Output.Split('\n')
            .Select(line => line.Trim().Split(' '))
            .Where(words => words is ["chain", var chain, ..] && chain.StartsWith(prefix, StringComparison.Ordinal))
            .Select(words => words[1])
            .ToList();
    }
}
