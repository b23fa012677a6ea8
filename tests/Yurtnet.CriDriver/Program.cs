using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Yurtnet.CriDriver;
using Yurtnet.CriDriver.Cri;

// The CRI client of make e2e (containerd part) and make bench (runtime section): plays kubelet against a runtime's
// CRI socket. Every call has a deadline (--timeout, seconds). Subcommands:
//   version | status
//   run --pods N --parallel P --prefix NAME --namespace NS [--attempt A] [--netns-ledger FILE]
//       one JSON line per ready pod {namespace, name, uid, attempt, id, ip, netns, runMs}, as each becomes ready
//   stop-remove (--all | --prefix NAME) [--namespace NS] [--parallel P]    StopPodSandbox twice, RemovePodSandbox
//   list [--prefix NAME] [--namespace NS]                                   one JSON line per sandbox
//   bench --socket NAME=PATH --socket NAME=PATH [--parallel 1,4,8] [--pods N] [--rounds R] [--storm N]
// A failed call is reported on stderr with its pod; the exit code is 1 if any failed.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
var command = args.Length > 0 ? args[0] : "";
var timeout = TimeSpan.FromSeconds(double.Parse(Arg("--timeout") ?? "60", CultureInfo.InvariantCulture));
var logRoot = Arg("--log-root") ?? Path.Combine(Path.GetTempPath(), "yurtnet-cri-logs");
var cgroupParent = Arg("--cgroup-parent") ?? "";
var parallel = command == "bench" ? 0 : Int("--parallel", 4); // bench takes a list

try
{
    return command switch
    {
        "bench" => await RuntimeBench.RunAsync(Sockets(), Ints("--parallel", [1, 4, 8]), Int("--pods", 16), Int("--rounds", 3), Int("--storm", 100),
            Int("--storm-parallel", 8), timeout, logRoot, cgroupParent, stop.Token),
        "version" or "status" or "run" or "stop-remove" or "list" => await OnOneRuntimeAsync(),
        _ => Usage(),
    };
}
catch (RpcException ex)
{
    Console.Error.WriteLine($"cri-driver {command}: {ex.Status.StatusCode}: {ex.Status.Detail}");
    return 1;
}

async Task<int> OnOneRuntimeAsync()
{
    var socket = Arg("--socket") ?? throw new ArgumentException("--socket PATH is required");
    using var cri = new CriConnection(socket, timeout);
    var kubelet = new Kubelet(cri, logRoot, cgroupParent);
    switch (command)
    {
        case "version":
            var version = await cri.Runtime.VersionAsync(new VersionRequest { Version = "v1" }, cri.Deadline(stop.Token));
            Console.WriteLine($"{version.RuntimeName} {version.RuntimeVersion} (CRI {version.RuntimeApiVersion})");
            return 0;
        case "status":
            var status = await cri.Runtime.StatusAsync(new StatusRequest(), cri.Deadline(stop.Token));
            foreach (var condition in status.Status.Conditions)
            {
                Console.WriteLine($"{condition.Type}={condition.Status} {condition.Reason} {condition.Message}".TrimEnd());
            }

            return status.Status.Conditions.All(c => c.Status) ? 0 : 1;
        case "run":
            return await RunAsync(kubelet);
        case "list":
            foreach (var sandbox in Selected(await kubelet.ListAsync(stop.Token)))
            {
                var m = sandbox.Metadata;
                Console.WriteLine(JsonSerializer.Serialize(new SandboxLine(m.Namespace, m.Name, m.Uid, m.Attempt, sandbox.Id, sandbox.State.ToString()), DriverJson.Default.SandboxLine));
            }

            return 0;
        default:
            return await StopRemoveAsync(kubelet);
    }
}

async Task<int> RunAsync(Kubelet kubelet)
{
    var pods = PodSpec.Numbered(Arg("--namespace") ?? "default", Arg("--prefix") ?? "pod", Int("--pods", 1), (uint)Int("--attempt", 0));
    var ledger = Arg("--netns-ledger");
    var output = new Lock();
    var failed = 0;
    await Parallel.ForEachAsync(pods, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = stop.Token }, async (pod, token) =>
    {
        try
        {
            var line = await kubelet.RunAsync(pod, token);
            lock (output)
            {
                if (ledger is not null && line.Netns.Length > 0)
                {
                    File.AppendAllText(ledger, line.Netns + "\n");
                }

                Console.WriteLine(JsonSerializer.Serialize(line, DriverJson.Default.PodLine));
            }
        }
        catch (RpcException ex)
        {
            Interlocked.Increment(ref failed);
            Console.Error.WriteLine($"run {pod.Namespace}/{pod.Name}: {ex.Status.StatusCode}: {ex.Status.Detail}");
        }
    });
    return failed == 0 ? 0 : 1;
}

async Task<int> StopRemoveAsync(Kubelet kubelet)
{
    if (Arg("--prefix") is null && !args.Contains("--all"))
    {
        return Usage();
    }

    var sandboxes = Selected(await kubelet.ListAsync(stop.Token));
    var failed = 0;
    await Parallel.ForEachAsync(sandboxes, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = stop.Token }, async (sandbox, token) =>
    {
        try
        {
            await kubelet.TeardownAsync(sandbox.Id, token);
        }
        catch (RpcException ex)
        {
            Interlocked.Increment(ref failed);
            Console.Error.WriteLine($"stop-remove {sandbox.Metadata.Namespace}/{sandbox.Metadata.Name} ({sandbox.Id}): {ex.Status.StatusCode}: {ex.Status.Detail}");
        }
    });
    Console.WriteLine($"stop-remove: {sandboxes.Count - failed} of {sandboxes.Count} sandboxes stopped twice and removed");
    return failed == 0 ? 0 : 1;
}

List<PodSandbox> Selected(IReadOnlyList<PodSandbox> sandboxes) =>
    [.. sandboxes.Where(s => (Arg("--prefix") is not { } prefix || s.Metadata.Name.StartsWith(prefix + "-", StringComparison.Ordinal))
                          && (Arg("--namespace") is not { } ns || s.Metadata.Namespace == ns))];

int Usage()
{
    Console.Error.WriteLine("usage: Yurtnet.CriDriver version|status|run|stop-remove|list --socket PATH [options] | bench --socket NAME=PATH --socket NAME=PATH [options] (see Program.cs)");
    return 2;
}

List<(string Name, string Path)> Sockets() =>
    [.. args.Select((a, i) => (a, i)).Where(p => p.a == "--socket" && p.i + 1 < args.Length)
        .Select(p => args[p.i + 1].Split('=', 2)).Select(kv => (kv[0], kv[1]))];

int Int(string name, int fallback) => Arg(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

int[] Ints(string name, int[] fallback) => Arg(name) is { } value ? [.. value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))] : fallback;

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
