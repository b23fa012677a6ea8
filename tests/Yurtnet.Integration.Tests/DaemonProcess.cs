using System.Diagnostics;
using System.Text;
using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>A real yurtnetd process with its own config, socket, state and spool under a temp directory.</summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public DaemonProcess(string extraJson = "", string leaseHold = "10m", string? stateDir = null)
    {
        Root = Directory.CreateTempSubdirectory("yurtnet-it-").FullName;
        Socket = Path.Combine(Root, "run", "cni.sock");
        StateDir = stateDir ?? Path.Combine(Root, "state");
        SpoolDir = Path.Combine(Root, "spool");
        ConfigPath = Path.Combine(Root, "yurtnetd.json");
        CniResultsDir = Path.Combine(Root, "cni-results");

        // A cluster section turns the NodePool network on by default; test daemons on this host's own namespace must
        // not route to peers nor fill the host's masquerade exemption sets (parallel tests would fight over them, and
        // they would outlive the test). The NodePool tests give their own section, in namespaces of their own.
        if (!extraJson.Contains("\"nodePool\"", StringComparison.Ordinal))
        {
            extraJson += ", \"nodePool\": { \"enabled\": false }";
        }

        File.WriteAllText(ConfigPath, $$"""{ "socket": "{{Socket}}", "stateDir": "{{StateDir}}", "spoolDir": "{{SpoolDir}}", "cniResultsDir": "{{CniResultsDir}}", "leaseHold": "{{leaseHold}}"{{extraJson}} }""");
    }

    public string Root { get; }
    public string Socket { get; }
    public string StateDir { get; }
    public string SpoolDir { get; }
    public string ConfigPath { get; }

    /// <summary>This daemon's view of the runtime's CNI result cache (libcni's /var/lib/cni/results).</summary>
    public string CniResultsDir { get; }

    public int ProcessId => _process?.Id ?? 0;

    /// <summary>Whether the yurtnetd process is still there.</summary>
    public bool Running => _process is { HasExited: false };

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<DaemonProcess> StartAsync(string extraJson = "", string leaseHold = "10m", string? stateDir = null)
    {
        var daemon = new DaemonProcess(extraJson, leaseHold, stateDir);
        await daemon.StartAgainAsync();
        return daemon;
    }

    public async Task StartAgainAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        Launch(new ProcessStartInfo(Binaries.Daemon, ["--config", ConfigPath]), environment);
        await WaitForSocketAsync();
    }

    /// <summary>Starts yurtnetd with the unit's <c>UMask=0077</c>: files it makes are its own unless it says otherwise.</summary>
    public async Task StartWithUnitUmaskAsync()
    {
        Launch(new ProcessStartInfo("sh", ["-c", "umask 0077 && exec \"$0\" --config \"$1\"", Binaries.Daemon, ConfigPath]), null);
        await WaitForSocketAsync();
    }

    /// <summary>
    /// Socket activation as systemd does it: systemd-socket-activate listens on the socket now and starts yurtnetd,
    /// passing the listening fd, when the first connection arrives.
    /// </summary>
    public async Task StartSocketActivatedAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Socket)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Launch(new ProcessStartInfo("systemd-socket-activate", ["--listen", Socket, Binaries.Daemon, "--config", ConfigPath]), null);
        var waited = Stopwatch.StartNew();
        while (!File.Exists(Socket) && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// As systemd's socket unit and a service with Restart=always: one listening socket for every run of yurtnetd, and
    /// yurtnetd started again whenever it exits (<see cref="DaemonPid"/> names the current run).
    /// </summary>
    public async Task StartHeldAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Socket)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var holder = Path.Combine(Binaries.RepositoryRoot, "tests", "Yurtnet.Integration.Tests", "Tools", "socket-holder.pl");
        Launch(new ProcessStartInfo("perl", [holder, Socket, Path.Combine(Root, "daemon.pid"), Binaries.Daemon, "--config", ConfigPath]), null);
        await WaitForSocketAsync();
    }

    /// <summary>The pid of the yurtnetd that <see cref="StartHeldAsync"/> runs now.</summary>
    public int DaemonPid => int.Parse(File.ReadAllText(Path.Combine(Root, "daemon.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Starts yurtnetd inside a network namespace (a simulated gateway of a site: its host namespace is that one).</summary>
    public async Task StartInNetnsAsync(string netns)
    {
        Launch(new ProcessStartInfo("ip", ["netns", "exec", netns, Binaries.Daemon, "--config", ConfigPath]), null);
        await WaitForSocketAsync();
    }

    /// <summary>Starts yurtnetd as root without any capability, as the shipped unit runs it (<c>CapabilityBoundingSet=</c>).</summary>
    public async Task StartWithoutCapabilitiesAsync()
    {
        Launch(new ProcessStartInfo("setpriv", ["--bounding-set=-all", "--inh-caps=-all", "--", Binaries.Daemon, "--config", ConfigPath]), null);
        await WaitForSocketAsync();
    }

    /// <summary>Starts yurtnetd inside a network namespace as root without any capability.</summary>
    public async Task StartInNetnsWithoutCapabilitiesAsync(string netns)
    {
        Launch(new ProcessStartInfo("ip", ["netns", "exec", netns, "setpriv", "--bounding-set=-all", "--inh-caps=-all", "--", Binaries.Daemon, "--config", ConfigPath]), null);
        await WaitForSocketAsync();
    }

    /// <summary>
    /// Starts yurtnetd in a private mount namespace whose /sys/class is a tmpfs laid out like the kernel's LED class:
    /// /sys/class/leds/NAME links to the LED's directory under its device (here /sys/class/devices/ledctl/leds/NAME,
    /// with brightness, max_brightness and the trigger list), so the ledclass backend can be tested without LED hardware.
    /// <paramref name="readOnly"/> mounts the device directories read-only, as the unit's ProtectKernelTunables= does.
    /// The tree is readable from outside through /proc/PID/root.
    /// </summary>
    public async Task StartWithFakeLedClassAsync(string[] leds, string triggers = "[none] timer netdev", bool readOnly = false)
    {
        var setup = string.Join(" && ", leds.Select(l => $"mkdir -p /sys/class/devices/ledctl/leds/{l} /sys/class/leds && echo 0 > /sys/class/devices/ledctl/leds/{l}/brightness && echo 255 > /sys/class/devices/ledctl/leds/{l}/max_brightness && echo '{triggers}' > /sys/class/devices/ledctl/leds/{l}/trigger && ln -s ../devices/ledctl/leds/{l} /sys/class/leds/{l}"));
        if (readOnly)
        {
            setup += " && mount --bind /sys/class/devices /sys/class/devices && mount -o remount,bind,ro /sys/class/devices";
        }

        // The shell outlives yurtnetd so the namespace (and the tree) can still be read after the daemon stopped.
        Launch(new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "sh", "-c", $"mount -t tmpfs tmpfs /sys/class && {setup} && {{ {Binaries.Daemon} --config {ConfigPath}; sleep 60; }}"]), null);
        await WaitForSocketAsync();
    }

    /// <summary>
    /// Starts yurtnetd as a pod would see the cluster: <c>KUBERNETES_SERVICE_HOST</c> and <c>_PORT</c> set, the
    /// ServiceAccount's <c>token</c> and <c>ca.crt</c> in /var/run/secrets/kubernetes.io/serviceaccount. That directory
    /// is made in a private mount namespace whose /run is a tmpfs, so the machine's own /run is neither read nor changed.
    /// </summary>
    public async Task StartInClusterAsync(Uri server, string tokenFile, string caFile)
    {
        const string account = "/run/secrets/kubernetes.io/serviceaccount";
        var setup = $"mount -t tmpfs tmpfs /run && mkdir -p {account} && cp {tokenFile} {account}/token && cp {caFile} {account}/ca.crt";
        Launch(
            new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "sh", "-c", $"{setup} && exec {Binaries.Daemon} --config {ConfigPath}"]),
            new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = server.Host, ["KUBERNETES_SERVICE_PORT"] = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await WaitForSocketAsync();
    }

    /// <summary>Stops the daemon that <see cref="StartWithFakeLedClassAsync"/> started, leaving its namespace readable.</summary>
    public async Task StopDaemonInNamespaceAsync()
    {
        var shell = _process!.Id;
        var daemons = File.ReadAllText($"/proc/{shell}/task/{shell}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var daemon in daemons)
        {
            _ = TestNetns.Run("kill", "-TERM", daemon);
        }

        for (var i = 0; i < 400 && daemons.Any(d => Directory.Exists($"/proc/{d}") && !File.ReadAllText($"/proc/{d}/comm").StartsWith("sleep", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(25);
        }
    }

    /// <summary>Runs yurtnetctl against this daemon's socket.</summary>
    public (int Code, string Output) Ctl(params string[] args) => TestNetns.Run([Binaries.Ctl, "--socket", Socket, .. args]);

    /// <summary>Waits until the daemon's log holds <paramref name="text"/> (at most <paramref name="timeout"/>, else 15 s).</summary>
    public Task<bool> WaitForLogAsync(string text, TimeSpan? timeout = null) =>
        Eventually.WaitForAsync(() => Log.Contains(text, StringComparison.Ordinal), timeout ?? TimeSpan.FromSeconds(15));

    /// <summary>A file of the LED class tree the daemon sees (read with cat: BoardLed holds .NET's exclusive lock on it).</summary>
    public string LedFile(string led, string file) => TestNetns.Run("cat", $"/proc/{_process!.Id}/root/sys/class/leds/{led}/{file}").Output.Trim();

    private async Task WaitForSocketAsync()
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process is { HasExited: true } exited)
            {
                throw new InvalidOperationException($"yurtnetd exited with {exited.ExitCode}:\n{Log}");
            }

            try
            {
                using var client = DaemonClient.Connect(Socket, TimeSpan.FromMilliseconds(100));
                return;
            }
            catch (DaemonUnreachableException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"yurtnetd did not open {Socket}:\n{Log}");
    }

    /// <summary>Runs yurtnetd under strace, recording the syscalls that write state and answers, with file names.</summary>
    public async Task StartTracedAsync(string traceFile)
    {
        Launch(new ProcessStartInfo("strace", ["-f", "-y", "-s", "96", "-e", "trace=pwrite64,write,fdatasync,fsync,sendto,sendmsg", "-o", traceFile, Binaries.Daemon, "--config", ConfigPath]), null);
        await WaitForSocketAsync();
    }

    /// <summary>Stops a traced yurtnetd (the traced child, so strace ends and flushes its file).</summary>
    public void StopTraced()
    {
        if (_process is not { HasExited: false } strace)
        {
            return;
        }

        var children = File.ReadAllText($"/proc/{strace.Id}/task/{strace.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var child in children)
        {
            _ = TestNetns.Run("kill", "-TERM", child);
        }

        strace.WaitForExit(TimeSpan.FromSeconds(20));
    }

    private void Launch(ProcessStartInfo start, IReadOnlyDictionary<string, string>? environment)
    {
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    /// <summary>SIGTERM and wait: a clean stop, as systemctl stop does.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            // A wrapper (the LED namespace shell) may have children of its own: stop them too.
            var children = $"/proc/{_process.Id}/task/{_process.Id}/children";
            foreach (var child in File.Exists(children) ? File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries) : [])
            {
                _ = TestNetns.Run("kill", "-TERM", child);
            }

            _ = TestNetns.Run("kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!_process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                _process.Kill();
            }
        }
    }

    public T Ask<T>(Request request) where T : Response
    {
        using var client = DaemonClient.Connect(Socket, TimeSpan.FromSeconds(2));
        var response = client.Send(request, TimeSpan.FromSeconds(10));
        return response as T ?? throw new InvalidOperationException($"expected {typeof(T).Name}, got {response}");
    }

    public Task<IReadOnlyList<LeaseInfo>> LeasesAsync() => Task.FromResult(Ask<LeasesResponse>(new LeasesRequest()).Leases);

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _process?.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}
