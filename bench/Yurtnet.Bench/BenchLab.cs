using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Bench;

/// <summary>Runs both plugins the way containerd does (exec, env, stdin) against fresh namespaces, and cleans up.</summary>
internal sealed class BenchLab : IDisposable
{
    private readonly string _bin;
    private readonly string _reference;
    private readonly string _work = Directory.CreateTempSubdirectory("yurtnet-bench-").FullName;
    private readonly Process _daemon;
    private readonly TcpListener _blackHole = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _held = [];
    private Process? _linkedDaemon;
    private Process? _meteredDaemon;

    public BenchLab(string bin, string reference)
    {
        _bin = bin;
        _reference = reference;
        _daemon = StartDaemon("standalone", "");
    }

    private string Socket => SocketOf("standalone");

    private string SocketOf(string name) => Path.Combine(_work, name, "run", "cni.sock");

    private Process StartDaemon(string name, string extraJson)
    {
        var dir = Path.Combine(_work, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "yurtnetd.json"), $$"""{ "socket": "{{SocketOf(name)}}", "stateDir": "{{dir}}/state", "spoolDir": "{{_work}}/spool"{{extraJson}} }""");
        var start = new ProcessStartInfo(Path.Combine(_bin, "yurtnetd"), ["--config", Path.Combine(dir, "yurtnetd.json")]) { RedirectStandardError = true, RedirectStandardOutput = true };
        var daemon = Process.Start(start)!;
        daemon.BeginErrorReadLine();
        daemon.BeginOutputReadLine();
        var waited = Stopwatch.StartNew();
        while (!File.Exists(SocketOf(name)) && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            Thread.Sleep(20);
        }

        return daemon;
    }

    /// <summary>
    /// ADD+DEL of the standalone daemon against one whose cluster link points at an API server and a yurthub that
    /// accept connections and never answer (the worst case: nothing fails fast). Interleaved, same conflist shape.
    /// </summary>
    public AddDelResult AddDelWithHangingCluster(int cycles)
    {
        if (_linkedDaemon is null)
        {
            _blackHole.Start();
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    var socket = await _blackHole.AcceptSocketAsync();
                    lock (_held)
                    {
                        _held.Add(socket);
                    }
                }
            });
            var port = ((IPEndPoint)_blackHole.LocalEndpoint).Port;
            File.WriteAllText(Path.Combine(_work, "token"), "bench-token\n");
            _linkedDaemon = StartDaemon("linked", $$""", "cluster": { "nodeName": "bench", "server": "http://127.0.0.1:{{port}}", "tokenFile": "{{_work}}/token", "hubManagement": "http://127.0.0.1:{{port}}" }""");
        }

        return AgainstStandalone("linked", "l", "10.247.0.0/16", cycles);
    }

    /// <summary>
    /// ADD+DEL of the standalone daemon (metrics off) against one that serves its metrics on a loopback listener,
    /// scraped every second (Prometheus scrapes every 15 s or more), and writes them to a textfile every second.
    /// </summary>
    public AddDelResult AddDelWithMetrics(int cycles)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var textfiles = Path.Combine(_work, "textfiles");
        Directory.CreateDirectory(textfiles);
        _meteredDaemon ??= StartDaemon("metered", $$""", "metrics": { "listen": "127.0.0.1:{{port}}", "textfileDir": "{{textfiles}}", "textfileInterval": "1s" }""");
        using var scraping = new CancellationTokenSource();
        var scrapes = 0;
        var scraper = Task.Run(async () =>
        {
            // The load: a scrape every second, the cadence a harsh Prometheus would keep.
            using var http = new HttpClient();
            using var cadence = new PeriodicTimer(TimeSpan.FromSeconds(1));
            do
            {
                _ = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), scraping.Token);
                scrapes++;
            }
            while (await cadence.WaitForNextTickAsync(scraping.Token));
        });
        var result = AgainstStandalone("metered", "x", "10.248.0.0/16", cycles);
        scraping.Cancel();
        try
        {
            scraper.Wait();
        }
        catch (AggregateException ex) when (ex.InnerException is TaskCanceledException or OperationCanceledException)
        {
        }

        // A scrape that failed ended the scraper with its exception: the figures would be of a daemon nobody scraped.
        return scrapes > 0 && !scraper.IsFaulted ? result : throw new InvalidOperationException($"the metered yurtnetd was not scraped throughout ({scrapes} scrapes)");
    }

    /// <summary>Interleaved ADD+DEL cycles: the daemon <paramref name="name"/> as "ours", the standalone one as "reference".</summary>
    private AddDelResult AgainstStandalone(string name, string tag, string subnet, int cycles)
    {
        string Conf(string network, string bridge, string socket, string pool) =>
            $$$"""{"cniVersion":"1.0.0","name":"{{{network}}}","type":"yurtnet","bridge":"{{{bridge}}}","isGateway":true,"isDefaultGateway":true,"ipMasq":false,"socket":"{{{socket}}}","spoolDir":"{{{_work}}}/spool","ipam":{"subnets":["{{{pool}}}"]}}""";
        var standalone = Conf("bench-yn-s", "ynbenchs", Socket, "10.246.0.0/16");
        var other = Conf($"bench-yn-{tag}", $"ynbench{tag}", SocketOf(name), subnet);
        var result = new AddDelResult();
        for (var i = 0; i < cycles + 5; i++)
        {
            var warm = i < 5;
            InTurn(i,
                () => Cycle(Path.Combine(_bin, "yurtnet"), other, $"yn{tag}{i}", warm ? null : (result.OursAdd, result.OursDel, result.OursTotal)),
                () => Cycle(Path.Combine(_bin, "yurtnet"), standalone, $"yns{i}", warm ? null : (result.ReferenceAdd, result.ReferenceDel, result.ReferenceTotal)));
        }

        Run("ip", "link", "delete", "ynbenchs");
        Run("ip", "link", "delete", $"ynbench{tag}");
        return result;
    }

    public (Samples Ours, Samples Reference) Version(int runs)
    {
        const string stdin = """{"cniVersion":"1.0.0"}""";
        return Interleaved(runs,
            () => Exec(Path.Combine(_bin, "yurtnet"), "VERSION", stdin, "", "", ""),
            () => Exec(Path.Combine(_reference, "bridge"), "VERSION", stdin, "", "", ""));
    }

    /// <summary>
    /// CNI STATUS (cniVersion 1.1.0; containerd 2.x asks it about every 5 s, and a failure stops every new pod) against
    /// VERSION of the same binary, interleaved: STATUS adds one request to yurtnetd to the plugin's start-up.
    /// </summary>
    public (Samples Status, Samples Version) StatusAgainstVersion(int runs)
    {
        var conf = $$$"""{"cniVersion":"1.1.0","name":"bench-status","type":"yurtnet","bridge":"ynbenchst","socket":"{{{Socket}}}","spoolDir":"{{{_work}}}/spool","ipam":{"subnets":["10.246.0.0/16"]}}""";
        const string stdin = """{"cniVersion":"1.1.0"}""";
        return Interleaved(runs,
            () => Exec(Path.Combine(_bin, "yurtnet"), "STATUS", conf, "", "", ""),
            () => Exec(Path.Combine(_bin, "yurtnet"), "VERSION", stdin, "", "", ""));
    }

    /// <summary>Runs both, the first one first in even rounds and second in odd ones: neither side always follows the other's aftermath.</summary>
    private static void InTurn(int round, Action first, Action second)
    {
        if (round % 2 == 0)
        {
            first();
            second();
        }
        else
        {
            second();
            first();
        }
    }

    /// <summary>Two execs in turn, <paramref name="runs"/> times after 10 warm-up rounds, so that noise hits both alike.</summary>
    private static (Samples A, Samples B) Interleaved(int runs, Func<double> a, Func<double> b)
    {
        var first = new Samples();
        var second = new Samples();
        for (var i = 0; i < runs + 10; i++)
        {
            double x = 0, y = 0;
            InTurn(i, () => x = a(), () => y = b());
            if (i >= 10)
            {
                first.Add(x);
                second.Add(y);
            }
        }

        return (first, second);
    }

    public AddDelResult AddDel(int cycles, bool masquerade)
    {
        var tag = masquerade ? "m" : "n";
        var masq = masquerade ? "true" : "false";
        var ours = $$$"""{"cniVersion":"1.0.0","name":"bench-yn-{{{tag}}}","type":"yurtnet","bridge":"ynbench{{{tag}}}","isGateway":true,"isDefaultGateway":true,"ipMasq":{{{masq}}},"socket":"{{{Socket}}}","spoolDir":"{{{_work}}}/spool","ipam":{"subnets":["10.244.0.0/16"]}}""";
        var reference = $$$"""{"cniVersion":"1.0.0","name":"bench-ref-{{{tag}}}","type":"bridge","bridge":"ynbref{{{tag}}}","isGateway":true,"isDefaultGateway":true,"ipMasq":{{{masq}}},"ipam":{"type":"host-local","subnet":"10.245.0.0/16","dataDir":"{{{_work}}}/host-local"}}""";
        var result = new AddDelResult();
        // One long-lived pod per network, as on a gateway that runs workloads: the measured pods come and go
        // beside it, so neither plugin measures first-pod or last-pod work (bridge creation, masquerade set-up).
        Run("ip", "netns", "add", $"ynbench-anchor-y{tag}");
        Run("ip", "netns", "add", $"ynbench-anchor-r{tag}");
        Exec(Path.Combine(_bin, "yurtnet"), "ADD", ours, $"anchor-y{tag}", $"/run/netns/ynbench-anchor-y{tag}", "IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=anchor");
        Exec(Path.Combine(_reference, "bridge"), "ADD", reference, $"anchor-r{tag}", $"/run/netns/ynbench-anchor-r{tag}", "IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=anchor");
        for (var i = 0; i < cycles + 5; i++)
        {
            var warm = i < 5;
            InTurn(i,
                () => Cycle(Path.Combine(_bin, "yurtnet"), ours, $"yn{tag}{i}", warm ? null : (result.OursAdd, result.OursDel, result.OursTotal)),
                () => Cycle(Path.Combine(_reference, "bridge"), reference, $"rf{tag}{i}", warm ? null : (result.ReferenceAdd, result.ReferenceDel, result.ReferenceTotal)));
        }

        Exec(Path.Combine(_bin, "yurtnet"), "DEL", ours, $"anchor-y{tag}", $"/run/netns/ynbench-anchor-y{tag}", "IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=anchor");
        Exec(Path.Combine(_reference, "bridge"), "DEL", reference, $"anchor-r{tag}", $"/run/netns/ynbench-anchor-r{tag}", "IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=anchor");
        Run("ip", "netns", "delete", $"ynbench-anchor-y{tag}");
        Run("ip", "netns", "delete", $"ynbench-anchor-r{tag}");
        Run("ip", "link", "delete", $"ynbench{tag}");
        Run("ip", "link", "delete", $"ynbref{tag}");
        return result;
    }

    private void Cycle(string plugin, string conf, string id, (Samples Add, Samples Del, Samples Total)? into)
    {
        var netns = $"ynbench-{id}";
        Run("ip", "netns", "add", netns);
        try
        {
            var add = Exec(plugin, "ADD", conf, id, $"/run/netns/{netns}", $"IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME={id}");
            var del = Exec(plugin, "DEL", conf, id, $"/run/netns/{netns}", $"IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME={id}");
            if (into is { } s)
            {
                s.Add.Add(add);
                s.Del.Add(del);
                s.Total.Add(add + del);
            }
        }
        finally
        {
            Run("ip", "netns", "delete", netns);
        }
    }

    private double Exec(string plugin, string command, string stdin, string containerId, string netns, string args) =>
        PluginExec.Cni(plugin, command, stdin, containerId, netns, args, _reference);

    private static void Run(params string[] command) => PluginExec.Run(command);

    public void Dispose()
    {
        foreach (var daemon in new[] { _daemon, _linkedDaemon, _meteredDaemon }.OfType<Process>())
        {
            daemon.Kill();
            daemon.WaitForExit();
            daemon.Dispose();
        }

        _blackHole.Stop();
        lock (_held)
        {
            _held.ForEach(s => s.Dispose());
        }

        Directory.Delete(_work, recursive: true);
    }
}

internal sealed class AddDelResult
{
    public Samples OursAdd { get; } = new();
    public Samples OursDel { get; } = new();
    public Samples OursTotal { get; } = new();
    public Samples ReferenceAdd { get; } = new();
    public Samples ReferenceDel { get; } = new();
    public Samples ReferenceTotal { get; } = new();
}
