using System.Text.Json.Nodes;
using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// A site of simulated gateways, each a network namespace with its own yurtnetd (own state, socket, settings) and the
/// real plugin: gw-a and gw-b (and gw-d) on one LAN (192.168.77.0/24 and fd77::/64, a bridge in a namespace of its
/// own), gw-c behind a router on 192.168.78.0/24 (IPv4 only), so the LAN gateways reach it by VXLAN and each other
/// host-gw. Every gateway has an IPv4 and an IPv6 pod CIDR. Nothing leaves the namespaces the site created, but for
/// <see cref="ConnectHost"/>: a veth from this test host into the LAN, so gateways reach an API server double.
/// </summary>
internal sealed class NodePoolSite : IAsyncDisposable
{
    private static int _counter;
    private readonly List<TestNetns> _namespaces = [];
    private readonly string _tag;
    private int _plugs;

    private string? _hostLink;

    /// <param name="lanGateways">How many gateways on the LAN (2: gw-a, gw-b; 3 adds gw-d); gw-c is behind the router.</param>
    public NodePoolSite(int lanGateways = 2)
    {
        _tag = $"{Environment.ProcessId % 1000}{Interlocked.Increment(ref _counter)}";
        Lan = Netns("lan");
        Router = Netns("rt");
        Exec(Lan, "ip", "link", "add", "br0", "type", "bridge");
        Exec(Lan, "ip", "link", "set", "br0", "up");
        Exec(Router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Plug(Router, "rt-lan", "192.168.77.1/24", null);
        foreach (var gateway in new[] { ("a", 1), ("b", 2), ("c", 3), ("d", 4) }.Take(lanGateways + 1))
        {
            Gateways.Add(new SiteGateway(gateway.Item1, gateway.Item2, Netns("gw" + gateway.Item1)));
        }

        foreach (var gw in Gateways.Where(g => g.Name != "c"))
        {
            Plug(gw.Netns, "uplink", gw.UnderlayV4 + "/24", gw.UnderlayV6 + "/64");
            Exec(gw.Netns, "ip", "route", "add", "default", "via", "192.168.77.1");
        }

        // gw-c is on the far side of the router.
        var c = Gateways.Single(g => g.Name == "c");
        Exec(Router, "ip", "link", "add", "rt-c", "type", "veth", "peer", "name", "uplink", "netns", c.Netns.Name);
        Exec(Router, "ip", "addr", "add", "192.168.78.1/24", "dev", "rt-c");
        Exec(Router, "ip", "link", "set", "rt-c", "up");
        Exec(c.Netns, "ip", "addr", "add", c.UnderlayV4 + "/24", "dev", "uplink");
        Exec(c.Netns, "ip", "link", "set", "uplink", "up");
        Exec(c.Netns, "ip", "route", "add", "default", "via", "192.168.78.1");
    }

    public TestNetns Lan { get; }
    public TestNetns Router { get; }
    public List<SiteGateway> Gateways { get; } = [];

    public SiteGateway this[string name] => Gateways.Single(g => g.Name == name);

    /// <summary>The host's address on the LAN after <see cref="ConnectHost"/>.</summary>
    public static System.Net.IPAddress HostAddress { get; } = System.Net.IPAddress.Parse("192.168.77.250");

    /// <summary>
    /// Connects this test host to the LAN (a veth into the bridge, <see cref="HostAddress"/>, and a route to gw-c's
    /// subnet via the router), so that a server on the host (the API server double) is reachable from every gateway.
    /// Removed with the site.
    /// </summary>
    public void ConnectHost()
    {
        _hostLink = $"ynh{_tag}";
        TestNetns.Run("ip", "link", "add", _hostLink, "type", "veth", "peer", "name", "host", "netns", Lan.Name);
        Exec(Lan, "ip", "link", "set", "host", "master", "br0", "up");
        TestNetns.Run("ip", "addr", "add", HostAddress + "/24", "dev", _hostLink);
        TestNetns.Run("ip", "link", "set", _hostLink, "up");
        TestNetns.Run("ip", "route", "add", "192.168.78.0/24", "via", "192.168.77.1", "dev", _hostLink);
    }

    /// <summary>
    /// Tells <paramref name="api"/> about every gateway (Nodes of NodePool <paramref name="pool"/>, with their InternalIPs
    /// and pod CIDRs) and starts each gateway's yurtnetd with a cluster section pointing at it and no static peers.
    /// </summary>
    public async Task StartClusterAsync(ApiServerDouble api, string pool = "shop", string resync = "1s")
    {
        foreach (var gw in Gateways)
        {
            api.SetNode("gw-" + gw.Name, pool, gw.UnderlayV6 is null ? [gw.UnderlayV4] : [gw.UnderlayV4, gw.UnderlayV6], gw.PodV4, gw.PodV6);
        }

        foreach (var gw in Gateways)
        {
            var cluster = new JsonObject
            {
                ["nodeName"] = "gw-" + gw.Name,
                ["server"] = api.ServerOn(HostAddress).ToString(),
                ["caFile"] = api.CaFile,
                ["tokenFile"] = api.TokenFile,
                ["hubManagement"] = api.HubManagementOn(HostAddress).ToString(),
                ["healthInterval"] = "200ms",
                ["watchTimeout"] = "10s",
            };
            gw.Daemon = new DaemonProcess($", \"cluster\": {cluster.ToJsonString()}, \"nodePool\": {new JsonObject { ["resyncInterval"] = resync }.ToJsonString()}");
            await gw.Daemon.StartInNetnsAsync(gw.Netns.Name);
        }
    }

    /// <summary>
    /// Starts every gateway's yurtnetd with the others as static peers; with <paramref name="textfiles"/>, each writes
    /// its metrics every second into <c>TEXTFILES/NAME/yurtnet.prom</c> (a listener would be inside its namespace).
    /// </summary>
    public async Task StartStaticAsync(string resync = "1s", string? nonMasqueradeCidr = null, string? textfiles = null)
    {
        foreach (var gw in Gateways)
        {
            var peers = new JsonArray(Gateways.Where(o => o != gw).Select(o => (JsonNode)new JsonObject
            {
                ["name"] = "gw-" + o.Name,
                ["podCidrs"] = new JsonArray(o.PodV4, o.PodV6),
                ["addresses"] = o.UnderlayV6 is null ? new JsonArray(o.UnderlayV4) : new JsonArray(o.UnderlayV4, o.UnderlayV6),
            }).ToArray());
            var nodePool = new JsonObject
            {
                ["address"] = gw.UnderlayV4,
                ["podCidrs"] = new JsonArray(gw.PodV4, gw.PodV6),
                ["resyncInterval"] = resync,
                ["peers"] = peers,
            };
            if (nonMasqueradeCidr is not null)
            {
                nodePool["nonMasqueradeCidrs"] = new JsonArray(nonMasqueradeCidr);
            }

            var metrics = "";
            if (textfiles is not null)
            {
                Directory.CreateDirectory(Path.Combine(textfiles, gw.Name));
                metrics = $", \"metrics\": {{ \"textfileDir\": \"{Path.Combine(textfiles, gw.Name)}\", \"textfileInterval\": \"1s\" }}";
            }

            gw.Daemon = new DaemonProcess($", \"nodePool\": {nodePool.ToJsonString()}{metrics}");
            await gw.Daemon.StartInNetnsAsync(gw.Netns.Name);
        }
    }

    /// <summary>A pod on <paramref name="gw"/>: its own namespace, plumbed by the plugin running in the gateway's namespace.</summary>
    public SitePod AddPod(SiteGateway gw, string name, Action<JsonObject>? editConf = null)
    {
        var pod = new TestNetns("yns-p" + gw.Name);
        _namespaces.Add(pod);
        var conf = gw.Conf();
        editConf?.Invoke(conf);
        var add = CniRun.Exec("ADD", conf, $"{name}-{_tag}", pod.Path, args: CniRun.PodArgs(name), inNetns: gw.Netns.Name);
        if (add.ExitCode != 0)
        {
            throw new InvalidOperationException($"ADD of {name} on gw-{gw.Name} failed: {add}\n{gw.Daemon?.Log}");
        }

        var ips = add.Json.GetProperty("ips").EnumerateArray().Select(i => i.GetProperty("address").GetString()!.Split('/')[0]).ToList();
        return new SitePod(name, pod, ips.First(i => !i.Contains(':', StringComparison.Ordinal)), ips.First(i => i.Contains(':', StringComparison.Ordinal)), $"{name}-{_tag}");
    }

    /// <summary>Counts, in <paramref name="to"/>'s namespace, the echo requests that arrive from <paramref name="source"/> (the address the receiver sees).</summary>
    public static void CountArrivalsFrom(SitePod to, string source)
    {
        var family = source.Contains(':', StringComparison.Ordinal) ? "ip6" : "ip";
        var proto = family == "ip6" ? "icmpv6 type echo-request" : "icmp type echo-request";
        Exec(to.Netns, "nft", "add", "table", "inet", "probe");
        Exec(to.Netns, "nft", "add", "chain", "inet", "probe", "input", "{ type filter hook input priority 0; }");
        Exec(to.Netns, "nft", $"add rule inet probe input {family} saddr {source} {proto} counter");
    }

    /// <summary>The packets counted by <see cref="CountArrivalsFrom"/> rules in <paramref name="pod"/>.</summary>
    public static int Arrivals(SitePod pod, string source)
    {
        var listing = Exec(pod.Netns, "nft", "list", "chain", "inet", "probe", "input");
        var line = listing.Split('\n').FirstOrDefault(l => l.Contains(source + " ", StringComparison.Ordinal)) ?? "";
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(words, "packets");
        return at >= 0 ? int.Parse(words[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    public static string Exec(TestNetns ns, params string[] command)
    {
        var (code, output) = ns.Exec(command);
        return code == 0 ? output : throw new InvalidOperationException($"{string.Join(' ', command)} in {ns.Name}: exit {code}: {output}");
    }

    private TestNetns Netns(string role)
    {
        var ns = new TestNetns("yns-" + role);
        _namespaces.Add(ns);
        Exec(ns, "ip", "link", "set", "lo", "up");
        return ns;
    }

    /// <summary>Connects <paramref name="ns"/> to the LAN bridge with a veth whose inside end is named <c>uplink</c> (or <paramref name="inside"/>).</summary>
    private void Plug(TestNetns ns, string inside, string v4, string? v6)
    {
        var outside = $"l{_tag}x{++_plugs}";
        Exec(Lan, "ip", "link", "add", outside, "type", "veth", "peer", "name", inside, "netns", ns.Name);
        Exec(Lan, "ip", "link", "set", outside, "master", "br0", "up");
        Exec(ns, "ip", "addr", "add", v4, "dev", inside);
        if (v6 is not null)
        {
            Exec(ns, "ip", "addr", "add", v6, "dev", inside, "nodad");
        }

        Exec(ns, "ip", "link", "set", inside, "up");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gw in Gateways)
        {
            if (gw.Daemon is not null)
            {
                await gw.Daemon.DisposeAsync();
            }
        }

        foreach (var ns in Enumerable.Reverse(_namespaces))
        {
            ns.Dispose();
        }

        if (_hostLink is not null)
        {
            // Deleting one end of the pair (it may be gone with the LAN namespace already) takes its route along.
            TestNetns.Run("ip", "link", "del", _hostLink);
        }
    }
}

/// <summary>One gateway of a <see cref="NodePoolSite"/>.</summary>
internal sealed class SiteGateway(string name, int index, TestNetns netns)
{
    public string Name { get; } = name;
    public TestNetns Netns { get; } = netns;
    public string UnderlayV4 { get; } = name == "c" ? "192.168.78.13" : $"192.168.77.1{index}";
    public string? UnderlayV6 { get; } = name == "c" ? null : $"fd77::1{index}";
    public string PodV4 { get; } = $"10.201.{index}.0/24";
    public string PodV6 { get; } = $"fd20:{index}::/64";
    public DaemonProcess? Daemon { get; set; }

    /// <summary>Whether the network masquerades pod traffic leaving the site's pod CIDRs (off by default here).</summary>
    public bool IpMasq { get; set; }

    /// <summary>The conflist of this gateway's network.</summary>
    public JsonObject Conf() => new()
    {
        ["cniVersion"] = "1.0.0",
        ["name"] = "site",
        ["type"] = "yurtnet",
        ["bridge"] = "yn0",
        ["socket"] = Daemon!.Socket,
        ["spoolDir"] = Daemon.SpoolDir,
        ["ipMasq"] = IpMasq,
        ["ipam"] = new JsonObject { ["subnets"] = new JsonArray(PodV4, PodV6) },
    };

    /// <summary>What yurtnetctl peers would show.</summary>
    public PeersResponse Peers()
    {
        using var client = DaemonClient.Connect(Daemon!.Socket, TimeSpan.FromSeconds(2));
        return (PeersResponse)client.Send(new PeersRequest(), TimeSpan.FromSeconds(5));
    }
}

/// <summary>A pod of a <see cref="NodePoolSite"/>.</summary>
internal sealed record SitePod(string Name, TestNetns Netns, string V4, string V6, string ContainerId)
{
    public int Ping(string address) => Netns.Exec("ping", "-c1", "-W2", address).Code;
}
