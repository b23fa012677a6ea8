using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Yurtnet.Bench;

/// <summary>
/// The daemon's footprint, as a gateway with 1 GB shared by kubelet, containerd, yurthub and the workloads feels it:
/// the NativeAOT binaries' sizes, start to READY=1 (what systemd waits for), resident memory idle and at the peak of a
/// storm of pods created at once (a gateway coming back from a power cut), and its threads.
/// </summary>
internal sealed class FootprintBench(string bin, string reference) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("yurtnet-footprint-").FullName;
    private int _runs;

    /// <summary>Start to READY=1 on NOTIFY_SOCKET (the socket serves by then), each run on a new state directory.</summary>
    public Samples StartToReady(int runs)
    {
        var ready = new Samples();
        for (var i = 0; i < runs + 2; i++)
        {
            using var daemon = Start(out var elapsed);
            if (i >= 2)
            {
                ready.Add(elapsed);
            }

            daemon.Stop();
        }

        return ready;
    }

    /// <summary>
    /// Resident memory and threads of a daemon that has settled: READY, then its first self-check done (the first
    /// STATUS= it sends), with nothing asked of it since.
    /// </summary>
    public ProcessMemory Idle()
    {
        using var daemon = Start(out _);
        WaitFor(daemon.Notify, "STATUS=");
        var memory = ProcessMemory.Of(daemon.Process.Id);
        daemon.Stop();
        return memory;
    }

    /// <summary>
    /// <paramref name="pods"/> pods created at <paramref name="parallelism"/> at once through the plugin and then deleted:
    /// the daemon's peak resident memory (VmHWM) over the storm, and pods per second both ways.
    /// </summary>
    public (ProcessMemory Peak, double AddsPerSecond, double DelsPerSecond) Storm(int pods, int parallelism)
    {
        using var daemon = Start(out _);
        var conf = $$$"""{"cniVersion":"1.0.0","name":"bench-storm","type":"yurtnet","bridge":"ynstorm","isGateway":true,"ipMasq":false,"socket":"{{{daemon.Socket}}}","spoolDir":"{{{daemon.Directory}}}/spool","ipam":{"subnets":["10.249.0.0/16"]}}""";
        var names = Enumerable.Range(0, pods).Select(i => $"ynstorm-{i}").ToList();
        names.ForEach(n => PluginExec.Run("ip", "netns", "add", n));
        try
        {
            var clock = Stopwatch.StartNew();
            Parallel.ForEach(names, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, n =>
                PluginExec.Cni(Path.Combine(bin, "yurtnet"), "ADD", conf, n, $"/run/netns/{n}", $"IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME={n}", reference));
            var adds = pods / clock.Elapsed.TotalSeconds;
            clock.Restart();
            Parallel.ForEach(names, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, n =>
                PluginExec.Cni(Path.Combine(bin, "yurtnet"), "DEL", conf, n, $"/run/netns/{n}", $"IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME={n}", reference));
            var dels = pods / clock.Elapsed.TotalSeconds;
            var peak = ProcessMemory.Of(daemon.Process.Id);
            daemon.Stop();
            return (peak, adds, dels);
        }
        finally
        {
            names.ForEach(n => PluginExec.Run("ip", "netns", "delete", n));
            PluginExec.Run("ip", "link", "delete", "ynstorm");
        }
    }

    /// <summary>A yurtnetd on a new state directory, started as systemd starts it (NOTIFY_SOCKET), once it said READY=1.</summary>
    private RunningDaemon Start(out double readyMs)
    {
        var dir = Path.Combine(_work, $"run{++_runs}");
        Directory.CreateDirectory(dir);
        var socket = Path.Combine(dir, "run", "cni.sock");
        var notifyPath = Path.Combine(dir, "notify.sock");
        File.WriteAllText(Path.Combine(dir, "yurtnetd.json"), $$"""{ "socket": "{{socket}}", "stateDir": "{{dir}}/state", "spoolDir": "{{dir}}/spool", "cniResultsDir": "{{dir}}/cni-results" }""");
        var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        notify.ReceiveTimeout = 20_000;
        var start = new ProcessStartInfo(Path.Combine(bin, "yurtnetd"), ["--config", Path.Combine(dir, "yurtnetd.json")]) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["NOTIFY_SOCKET"] = notifyPath;
        var clock = Stopwatch.StartNew();
        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            WaitFor(notify, "READY=1");
        }
        catch (InvalidOperationException)
        {
            process.Kill();
            notify.Dispose();
            throw;
        }

        readyMs = clock.Elapsed.TotalMilliseconds;
        return new RunningDaemon(process, socket, dir, notify);
    }

    /// <summary>Reads yurtnetd's notifications until one has a line starting with <paramref name="prefix"/> (20 s at most).</summary>
    private static void WaitFor(Socket notify, string prefix)
    {
        var buffer = new byte[4096];
        while (true)
        {
            int length;
            try
            {
                length = notify.Receive(buffer);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException($"yurtnetd sent no {prefix} within 20 s: {ex.Message}", ex);
            }

            if (Encoding.UTF8.GetString(buffer, 0, length).Split('\n').Any(line => line.StartsWith(prefix, StringComparison.Ordinal)))
            {
                return;
            }
        }
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>A daemon and systemd's side of its notify socket, kept open while it runs, as systemd's is.</summary>
    private sealed record RunningDaemon(Process Process, string Socket, string Directory, Socket Notify) : IDisposable
    {
        public void Stop()
        {
            if (!Process.HasExited)
            {
                PluginExec.Run("kill", "-TERM", Process.Id.ToString(CultureInfo.InvariantCulture));
                if (!Process.WaitForExit(TimeSpan.FromSeconds(20)))
                {
                    Process.Kill();
                }
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }

            Process.Dispose();
            Notify.Dispose();
        }
    }
}

/// <summary>What /proc/PID/status says of a process's memory: resident now, its peak, anonymous and file-backed, threads.</summary>
internal sealed record ProcessMemory(double RssMb, double PeakMb, double AnonMb, double FileMb, int Threads)
{
    public static ProcessMemory Of(int pid)
    {
        var fields = File.ReadAllLines($"/proc/{pid}/status")
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);
        double Mb(string key) => fields.TryGetValue(key, out var v) ? double.Parse(v.Split(' ')[0], CultureInfo.InvariantCulture) / 1024 : double.NaN;
        return new ProcessMemory(Mb("VmRSS"), Mb("VmHWM"), Mb("RssAnon"), Mb("RssFile"), int.Parse(fields["Threads"], CultureInfo.InvariantCulture));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"RSS {RssMb:0.0} MB (peak {PeakMb:0.0}; anonymous {AnonMb:0.0}, file {FileMb:0.0}), {Threads} threads");
}
