using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Yurtnet.Integration.Tests;
using Yurtnet.Protocol;
using Yurtnet.TestSupport;

namespace Yurtnet.Bench;

/// <summary>
/// The NodePool network at 10, 100 and 500 peers: yurtnetd in a network namespace of its own (uplink
/// 10.250.255.1/16, a veth to this host), half of the peers on the uplink's subnet (host-gw) and half behind its
/// default gateway (VXLAN). Measures what an operator waits for: daemon start to its socket, with every peer route
/// counted right after (static peers, and peers from the stored table with the API server hanging, as after an offline
/// reboot; that the routes precede the socket is proven by NodePoolNetworkTests), one full resync, and the API requests
/// a peer change costs. The kernel floor is iproute2 doing the same entries in one <c>ip -batch</c>.
/// </summary>
internal sealed class PeerBench : IDisposable
{
    private const string Netns = "ynbench-peers";
    private const string HostEnd = "ynbpeers";
    private const string OwnAddress = "10.250.255.1";
    private const string OwnPodCidr = "10.99.0.0/24";
    private static readonly IPAddress HostAddress = IPAddress.Parse("10.250.255.254");
    private readonly string _bin;
    private readonly string _work = Directory.CreateTempSubdirectory("yurtnet-peerbench-").FullName;

    public PeerBench(string bin)
    {
        _bin = bin;
        Run("ip", "netns", "add", Netns);
        Run("ip", "link", "add", HostEnd, "type", "veth", "peer", "name", "uplink", "netns", Netns);
        Run("ip", "addr", "add", HostAddress + "/16", "dev", HostEnd);
        Run("ip", "link", "set", HostEnd, "up");
        In("ip", "link", "set", "lo", "up");
        In("ip", "addr", "add", OwnAddress + "/16", "dev", "uplink");
        In("ip", "link", "set", "uplink", "up");
        In("ip", "route", "add", "default", "via", HostAddress.ToString());
    }

    /// <summary>Peer <paramref name="i"/>: even ones on the uplink's subnet (host-gw), odd ones behind the router (VXLAN).</summary>
    private static (string Name, string PodCidr, string Address) Peer(int i) =>
        ($"gw-{i:D3}", $"10.{100 + (i / 256)}.{i % 256}.0/24", i % 2 == 0 ? $"10.250.{i / 250}.{(i % 250) + 1}" : $"172.20.{i / 250}.{(i % 250) + 1}");

    /// <summary>Daemon start to socket (every peer route is in before it serves) with <paramref name="peers"/> static peers, interleaved with none.</summary>
    public (Samples WithPeers, Samples Without) StaticStart(int peers, int runs)
    {
        var with = WriteConfig($"static{peers}", StaticPeers(peers));
        var without = WriteConfig("static0", StaticPeers(0));
        var result = (WithPeers: new Samples(), Without: new Samples());
        for (var i = 0; i < runs + 1; i++)
        {
            var a = TimedStart(with, peers);
            var b = TimedStart(without, 0);
            if (i > 0)
            {
                result.WithPeers.Add(a);
                result.Without.Add(b);
            }
        }

        return result;
    }

    /// <summary>
    /// iproute2 installing the same entries from a clean slate: the device, routes and neighbours in one <c>ip -batch</c>,
    /// the FDB entries in one <c>bridge -batch</c>, less the two tools' own start (empty batches); every run is checked
    /// to have installed every route and FDB entry.
    /// </summary>
    public Samples IpBatch(int peers, int runs)
    {
        var ipBatch = Path.Combine(_work, $"ip{peers}");
        var bridgeBatch = Path.Combine(_work, $"bridge{peers}");
        var empty = Path.Combine(_work, "batch-empty");
        File.WriteAllText(empty, "");
        var ip = new StringBuilder("link add yurtnet.vxlan type vxlan id 1 dstport 8472 local " + OwnAddress + " nolearning\nlink set yurtnet.vxlan up\n");
        var bridge = new StringBuilder();
        var tunnelled = 0;
        for (var i = 0; i < peers; i++)
        {
            var (_, cidr, address) = Peer(i);
            var gateway = cidr.Split('/')[0];
            if (i % 2 == 0)
            {
                ip.Append(CultureInfo.InvariantCulture, $"route add {cidr} via {address} dev uplink proto 121\n");
            }
            else
            {
                var mac = $"0e:79:{i / 256:x2}:{i % 256:x2}:00:01";
                ip.Append(CultureInfo.InvariantCulture, $"neigh add {gateway} lladdr {mac} dev yurtnet.vxlan nud permanent\n");
                ip.Append(CultureInfo.InvariantCulture, $"route add {cidr} via {gateway} dev yurtnet.vxlan onlink proto 121\n");
                bridge.Append(CultureInfo.InvariantCulture, $"fdb append {mac} dev yurtnet.vxlan dst {address} self permanent\n");
                tunnelled++;
            }
        }

        File.WriteAllText(ipBatch, ip.ToString());
        File.WriteAllText(bridgeBatch, bridge.ToString());
        var samples = new Samples();
        for (var i = 0; i < runs + 1; i++)
        {
            Clean();
            var clock = Stopwatch.StartNew();
            In("ip", "-batch", ipBatch);
            In("bridge", "-batch", bridgeBatch);
            var full = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            In("ip", "-batch", empty);
            In("bridge", "-batch", empty);
            var start = clock.Elapsed.TotalMilliseconds;
            var routed = RouteCount();
            var forwarding = Output("bridge", "-n", Netns, "fdb", "show", "dev", "yurtnet.vxlan").Split('\n').Count(l => l.Contains(" dst ", StringComparison.Ordinal));
            if (routed != peers || forwarding != tunnelled)
            {
                throw new InvalidOperationException($"iproute2's batches installed {routed} of {peers} routes and {forwarding} of {tunnelled} FDB entries");
            }

            if (i > 0)
            {
                samples.Add(full - start);
            }
        }

        Clean();
        return samples;
    }

    /// <summary>The daemon's own timing of its resyncs (kernel read and compared, nothing to change), every second for <paramref name="runs"/> seconds.</summary>
    public Samples Resync(int peers, int runs)
    {
        var config = WriteConfig($"resync{peers}", StaticPeers(peers, resync: "1s"));
        Clean();
        using var daemon = Start(config);
        var samples = new Samples();
        var seen = 0;
        for (var i = 0; i < runs; i++)
        {
            PeerSyncInfo? next = null;
            Wait(() => (next = Peers(config).LastSync) is { Why: "resync" } sync && sync.Count != seen, "the next resync");
            seen = next!.Count;
            samples.Add(next.Milliseconds);
        }

        Stop(daemon);
        return samples;
    }

    /// <summary>
    /// The cluster view: <paramref name="peers"/> Nodes of pool "bench" on an API server double. Counts the API requests
    /// of <paramref name="changes"/> peer changes (a renumbered Node each) and of a quiet spell of 30 bookmarks, then times a
    /// restart from the stored table with the API server hanging (an offline reboot).
    /// </summary>
    public async Task<ClusterFigures> ClusterAsync(int peers, int changes, int runs)
    {
        await using var api = await ApiServerDouble.StartAsync(HostAddress);
        api.SetNode("bench-self", "bench", [OwnAddress], OwnPodCidr);
        for (var i = 0; i < peers; i++)
        {
            var (name, cidr, address) = Peer(i);
            api.SetNode(name, "bench", [address], cidr);
        }

        var cluster = new JsonObject
        {
            ["nodeName"] = "bench-self",
            ["server"] = api.ServerOn(HostAddress).ToString(),
            ["caFile"] = api.CaFile,
            ["tokenFile"] = api.TokenFile,
            ["hubManagement"] = api.HubManagementOn(HostAddress).ToString(),
        };
        var config = WriteConfig($"cluster{peers}", $", \"cluster\": {cluster.ToJsonString()}, \"nodePool\": {{ \"resyncInterval\": \"1h\" }}", fresh: true);
        Clean();
        var figures = new ClusterFigures();
        var daemon = Start(config);
        try
        {
            Wait(() => Routed(config) == peers, $"{peers} peers routed from the cluster");
            // The steady state: the cloud seen online (each watcher lists once more then) and the three watches (own
            // Node, its pods, the pool's Nodes) open: no request while the server sends six bookmarks (two seconds).
            var seen = api.Requests.Count;
            var mark = api.BookmarksSent;
            Wait(() =>
            {
                if (api.Requests.Count != seen)
                {
                    (seen, mark) = (api.Requests.Count, api.BookmarksSent);
                }

                return api.BookmarksSent >= mark + 6;
            }, "a steady state");

            var before = api.Requests.Count;
            for (var c = 0; c < changes; c++)
            {
                var (name, _, address) = Peer(c);
                var renumbered = $"10.{120 + (c / 256)}.{c % 256}.0/24";
                api.SetNode(name, "bench", [address], renumbered);
                Wait(() => Routes().Contains(renumbered + " ", StringComparison.Ordinal), $"route to {renumbered}");
            }

            var during = api.Requests.Skip(before).ToList();
            figures.RequestsPerChange = (double)during.Count / changes;
            figures.WritesPerChange = (double)during.Count(r => r.Method != "GET") / changes;

            // Quiet: what the daemon asks while its three watches get 30 bookmarks, one a second each (ten seconds).
            var quietFrom = api.Requests.Count;
            var marks = api.BookmarksSent;
            Wait(() => api.BookmarksSent >= marks + 30, "30 bookmarks");
            figures.QuietRequests = api.Requests.Count - quietFrom;
            figures.Writes = api.Requests.Count(r => r.Method != "GET");
            Stop(daemon);

            // An offline reboot: kernel state gone, API server and yurthub accept and never answer.
            api.Mode = ApiMode.Hanging;
            api.HubDown = true;
            for (var i = 0; i < runs + 1; i++)
            {
                // TimedStart checks that every peer route is in when the socket appears: no API answer was needed.
                var ms = TimedStart(config, peers);
                if (i > 0)
                {
                    figures.StoredStart.Add(ms);
                }
            }
        }
        finally
        {
            Stop(daemon);
        }

        return figures;
    }

    private static string StaticPeers(int peers, string resync = "1h")
    {
        var list = new JsonArray(Enumerable.Range(0, peers).Select(i =>
        {
            var (name, cidr, address) = Peer(i);
            return (JsonNode)new JsonObject { ["name"] = name, ["podCidrs"] = new JsonArray(cidr), ["addresses"] = new JsonArray(address) };
        }).ToArray());
        var nodePool = new JsonObject
        {
            ["enabled"] = true,
            ["address"] = OwnAddress,
            ["podCidrs"] = new JsonArray(OwnPodCidr),
            ["resyncInterval"] = resync,
            ["peers"] = list,
        };
        return $", \"nodePool\": {nodePool.ToJsonString()}";
    }

    private string WriteConfig(string name, string extraJson, bool fresh = false)
    {
        var dir = Path.Combine(_work, name);
        if (fresh && Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "yurtnetd.json");
        File.WriteAllText(path, $$"""{ "socket": "{{dir}}/cni.sock", "stateDir": "{{dir}}/state", "spoolDir": "{{dir}}/spool"{{extraJson}} }""");
        return path;
    }

    private static string SocketOf(string config) => Path.Combine(Path.GetDirectoryName(config)!, "cni.sock");

    /// <summary>Milliseconds from exec to the socket on disk, kernel state cleared first; checks the routes are all there.</summary>
    private double TimedStart(string config, int peers)
    {
        Clean();
        File.Delete(SocketOf(config));
        var clock = Stopwatch.StartNew();
        using var daemon = Start(config);
        var ms = clock.Elapsed.TotalMilliseconds;
        var routed = RouteCount();
        Stop(daemon);
        return routed == peers ? ms : throw new InvalidOperationException($"{routed} of {peers} peer routes when the socket appeared");
    }

    private Process Start(string config)
    {
        var start = new ProcessStartInfo("ip", ["netns", "exec", Netns, Path.Combine(_bin, "yurtnetd"), "--config", config]) { RedirectStandardError = true, RedirectStandardOutput = true };
        var daemon = Process.Start(start)!;
        daemon.BeginErrorReadLine();
        daemon.BeginOutputReadLine();
        // Spun, not polled every 25 ms as the other waits are: this is the clock of the start measurement.
        var socket = SocketOf(config);
        if (!SpinWait.SpinUntil(() => File.Exists(socket) || daemon.HasExited, TimeSpan.FromSeconds(60)) || !File.Exists(socket))
        {
            throw new InvalidOperationException($"yurtnetd --config {config} did not open its socket (exit {(daemon.HasExited ? daemon.ExitCode : -1)})");
        }

        return daemon;
    }

    private static void Stop(Process daemon)
    {
        if (!daemon.HasExited)
        {
            // ip netns exec execs yurtnetd: the pid is the daemon's. SIGTERM, as systemd stops it.
            try
            {
                Run("kill", "-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture));
            }
            catch (InvalidOperationException) when (daemon.HasExited)
            {
                // It ended on its own meanwhile.
            }

            daemon.WaitForExit();
        }
    }

    private static PeersResponse Peers(string config)
    {
        using var client = DaemonClient.Connect(SocketOf(config), TimeSpan.FromSeconds(2));
        return (PeersResponse)client.Send(new PeersRequest(), TimeSpan.FromSeconds(5));
    }

    private static int Routed(string config) => Peers(config).Peers.Count(p => p.State == "routed");

    private static void Wait(Func<bool> condition, string what)
    {
        if (!Eventually.WaitForAsync(condition, TimeSpan.FromMinutes(1)).GetAwaiter().GetResult())
        {
            throw new TimeoutException($"bench: no {what} after a minute");
        }
    }

    private static string Routes() => Output("ip", "-n", Netns, "route", "show", "proto", "121");

    private static int RouteCount() => Routes().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>No peer route, no tunnel: what a gateway has after a power cut.</summary>
    private static void Clean()
    {
        In("ip", "route", "flush", "proto", "121");
        if (Output("ip", "-n", Netns, "link", "show").Contains("yurtnet.vxlan", StringComparison.Ordinal))
        {
            In("ip", "link", "delete", "yurtnet.vxlan");
        }
    }

    private static void In(params string[] command) => Run(["ip", "netns", "exec", Netns, .. command]);

    private static void Run(params string[] command) => Output(command);

    /// <summary>A command's output; a failed command aborts the bench.</summary>
    private static string Output(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in command.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var error = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output : throw new InvalidOperationException($"bench: {string.Join(' ', command)}: exit {p.ExitCode}: {error.Result}");
    }

    public void Dispose()
    {
        Run("ip", "link", "delete", HostEnd);
        Run("ip", "netns", "delete", Netns);
        Directory.Delete(_work, recursive: true);
    }
}

internal sealed class ClusterFigures
{
    public double RequestsPerChange { get; set; }
    public double WritesPerChange { get; set; }
    public int QuietRequests { get; set; }
    public int Writes { get; set; }
    public Samples StoredStart { get; } = new();
}
