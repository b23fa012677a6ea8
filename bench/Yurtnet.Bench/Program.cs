using System.Globalization;
using Yurtnet.Bench;

// make bench: exec latency of VERSION (and of STATUS against it) and ADD+DEL latency of yurtnet against Debian's reference plugins
// (bridge + host-local), interleaved in one run so machine noise hits both alike. Prints p50/p95 and ratios.
var bin = Arg("--bin") ?? Path.Combine(Environment.CurrentDirectory, "out", "linux-x64");
var reference = Arg("--reference") ?? "/usr/lib/cni";
var cycles = int.Parse(Arg("--cycles") ?? "200", CultureInfo.InvariantCulture);
var versionRuns = int.Parse(Arg("--version-runs") ?? "300", CultureInfo.InvariantCulture);
var peerRuns = int.Parse(Arg("--peer-runs") ?? "10", CultureInfo.InvariantCulture);
var only = Arg("--only");

if (Environment.UserName != "root")
{
    Console.Error.WriteLine("make bench needs root (network namespaces, bridges): sudo make bench");
    return 1;
}

foreach (var file in new[] { Path.Combine(bin, "yurtnet"), Path.Combine(bin, "yurtnetd"), Path.Combine(reference, "bridge"), Path.Combine(reference, "host-local") })
{
    if (!File.Exists(file))
    {
        Console.Error.WriteLine($"bench: {file} not found (make deps installs containernetworking-plugins; make publish builds yurtnet)");
        return 1;
    }
}

Console.WriteLine($"yurtnet bench  {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z  {Environment.ProcessorCount} cores  kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}");
Console.WriteLine($"yurtnet: {bin}   reference: {reference}/bridge + host-local (Debian containernetworking-plugins)");
Console.WriteLine($"command: make bench  (dotnet run --project bench/Yurtnet.Bench -c Release -- --bin {bin} --cycles {cycles} --version-runs {versionRuns})");

if (only is null or "peers")
{
    PeersSection(bin, peerRuns);
}

if (only == "peers")
{
    return 0;
}

if (only is null or "footprint")
{
    FootprintSection(bin, reference, Arg("--storm") is { } storm ? int.Parse(storm, CultureInfo.InvariantCulture) : 100);
}

if (only == "footprint")
{
    return 0;
}

using var lab = new BenchLab(bin, reference);
var version = lab.Version(versionRuns);
Report.Header("VERSION exec latency", versionRuns);
Report.Row("yurtnet VERSION", version.Ours);
Report.Row("bridge VERSION", version.Reference);
Report.Ratio("VERSION", version.Ours, version.Reference, target: 1.0);

var status = lab.StatusAgainstVersion(versionRuns);
Report.Header("STATUS exec latency (cniVersion 1.1.0, what containerd 2.x polls) against VERSION of the same plugin", versionRuns);
Report.Row("yurtnet STATUS", status.Status);
Report.Row("yurtnet VERSION", status.Version);
Report.Ratio("STATUS / VERSION", status.Status, status.Version, target: 1.2);

foreach (var masquerade in new[] { true, false })
{
    var result = lab.AddDel(cycles, masquerade);
    Report.Header($"ADD+DEL latency, IPv4, isGateway+isDefaultGateway, ipMasq={masquerade.ToString().ToLowerInvariant()}", cycles);
    Report.Row("yurtnet ADD", result.OursAdd);
    Report.Row("bridge+host-local ADD", result.ReferenceAdd);
    Report.Row("yurtnet DEL", result.OursDel);
    Report.Row("bridge+host-local DEL", result.ReferenceDel);
    Report.Row("yurtnet ADD+DEL", result.OursTotal);
    Report.Row("bridge+host-local ADD+DEL", result.ReferenceTotal);
    var masq = masquerade.ToString().ToLowerInvariant();
    // Each command against its own goal (ADD at 0.6 with ipMasq off, where neither plugin touches the firewall; DEL is
    // the kernel's veth deletion for both), then the pod's round trip.
    Report.Ratio($"ADD (ipMasq={masq})", result.OursAdd, result.ReferenceAdd, target: masquerade ? null : 0.6);
    Report.Ratio($"DEL (ipMasq={masq})", result.OursDel, result.ReferenceDel, target: 1.0);
    Report.Ratio($"ADD+DEL (ipMasq={masq})", result.OursTotal, result.ReferenceTotal, target: 0.7);
}

Variant(lab.AddDelWithHangingCluster(cycles), "with the cluster link's API server and yurthub hanging (accept, never answer) vs. standalone", "hanging", "standalone", 1.1);
Variant(lab.AddDelWithMetrics(cycles), "with metrics on (loopback listener scraped every second, textfile written every second) vs. off", "metrics-on", "metrics-off", 1.02);

return 0;

// One yurtnetd against another (the standalone one, metrics off), interleaved, ipMasq=false.
void Variant(AddDelResult result, string what, string ours, string theirs, double target)
{
    Report.Header($"ADD+DEL latency {what}, ipMasq=false", cycles);
    Report.Row($"yurtnet {ours} ADD", result.OursAdd);
    Report.Row($"yurtnet {theirs} ADD", result.ReferenceAdd);
    Report.Row($"yurtnet {ours} ADD+DEL", result.OursTotal);
    Report.Row($"yurtnet {theirs} ADD+DEL", result.ReferenceTotal);
    Report.Ratio($"ADD+DEL ({ours} / {theirs})", result.OursTotal, result.ReferenceTotal, target);
}

// The daemon's footprint on a gateway: binaries, start to READY, resident memory idle and at a storm's peak.
static void FootprintSection(string bin, string reference, int storm)
{
    using var footprint = new FootprintBench(bin, reference);
    Report.Title("Footprint: NativeAOT binaries on disk");
    foreach (var file in new[] { Path.Combine(bin, "yurtnet"), Path.Combine(bin, "yurtnetd"), Path.Combine(bin, "yurtnetctl"), Path.Combine(reference, "bridge"), Path.Combine(reference, "host-local") })
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Path.GetFileName(file),-12} {new FileInfo(file).Length / 1048576.0,8:0.00} MB"));
    }

    var ready = footprint.StartToReady(20);
    Report.Header("yurtnetd start to READY=1 (NOTIFY_SOCKET, a new state directory each run; what systemd waits for)", 20);
    Report.Row("yurtnetd start to READY", ready);
    Report.Goal("start to READY p50", ready.Percentile(50), "ms", 100);
    var idle = footprint.Idle();
    Report.Title("yurtnetd resident memory, idle: READY and its first self-check done (standalone, metrics off)");
    Console.WriteLine($"  {idle}");
    Report.Goal("idle RSS", idle.RssMb, "MB", 25);
    var (peak, adds, dels) = footprint.Storm(storm, parallelism: 8);
    Report.Title($"yurtnetd during a storm: {storm} pods created, then deleted, 8 at a time through the plugin");
    Console.WriteLine($"  after the storm: {peak}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {adds:0.0} ADDs/s, {dels:0.0} DELs/s"));
    Report.Goal("peak RSS over the storm", peak.PeakMb, "MB", 35);
}

// The NodePool network: start to every peer route, a full resync, API requests per peer change.
static void PeersSection(string bin, int runs)
{
    using var peers = new PeerBench(bin);
    foreach (var n in Sizes())
    {
        var start = peers.StaticStart(n, runs);
        var batch = peers.IpBatch(n, runs);
        var resync = peers.Resync(n, runs);
        Report.Header($"NodePool network, {n} static peers (half host-gw, half VXLAN): daemon start to socket, every peer route in before it", runs);
        Report.Row($"yurtnetd start, {n} peers", start.WithPeers);
        Report.Row("yurtnetd start, no peers", start.Without);
        Report.Row($"iproute2 batches, {n} peers", batch);
        Report.Row($"yurtnetd resync, {n} peers", resync);
        Report.Ratio($"start ({n} peers / none)", start.WithPeers, start.Without, target: null);
        Report.Difference($"start cost of {n} peers / iproute2 batches of the same entries", start.WithPeers, start.Without, batch);
    }

    foreach (var n in Sizes())
    {
        var cluster = peers.ClusterAsync(n, changes: 5, runs).GetAwaiter().GetResult();
        Report.Header($"NodePool network from the cluster, {n} Nodes in the pool: restart from the stored table with the API server and yurthub hanging (an offline reboot)", runs);
        Report.Row($"yurtnetd start, {n} stored peers", cluster.StoredStart);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  API requests per peer change: {cluster.RequestsPerChange:0.##} ({cluster.WritesPerChange:0.##} writes); while the watches got 30 bookmarks (10 s): {cluster.QuietRequests}; writes in all: {cluster.Writes}  (goal: 0 writes, 0 polls: {(cluster.RequestsPerChange == 0 && cluster.QuietRequests == 0 && cluster.Writes == 0 ? "met" : "NOT met")})"));
    }
}

static int[] Sizes() => Arg("--peer-sizes") is { } sizes ? sizes.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [10, 100, 500];

static string? Arg(string name)
{
    var args = Environment.GetCommandLineArgs();
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
