using System.Globalization;
using Yurtnet.Bench;

// make bench: exec latency of VERSION and ADD+DEL latency of yurtnet against Debian's reference plugins
// (bridge + host-local), interleaved in one run so machine noise hits both alike. Prints p50/p95 and ratios.
var bin = Arg("--bin") ?? Path.Combine(Environment.CurrentDirectory, "out", "linux-x64");
var reference = Arg("--reference") ?? "/usr/lib/cni";
var cycles = int.Parse(Arg("--cycles") ?? "200", CultureInfo.InvariantCulture);
var versionRuns = int.Parse(Arg("--version-runs") ?? "300", CultureInfo.InvariantCulture);

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

using var lab = new BenchLab(bin, reference);
var version = lab.Version(versionRuns);
Report.Header("VERSION exec latency", versionRuns);
Report.Row("yurtnet VERSION", version.Ours);
Report.Row("bridge VERSION", version.Reference);
Report.Ratio("VERSION", version.Ours, version.Reference, target: 1.0);

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
    Report.Ratio($"ADD+DEL (ipMasq={masquerade.ToString().ToLowerInvariant()})", result.OursTotal, result.ReferenceTotal, target: 0.7);
}

var hanging = lab.AddDelWithHangingCluster(cycles);
Report.Header("ADD+DEL latency with the cluster link's API server and yurthub hanging (accept, never answer) vs. standalone, ipMasq=false", cycles);
Report.Row("yurtnet hanging ADD", hanging.OursAdd);
Report.Row("yurtnet standalone ADD", hanging.ReferenceAdd);
Report.Row("yurtnet hanging ADD+DEL", hanging.OursTotal);
Report.Row("yurtnet standalone ADD+DEL", hanging.ReferenceTotal);
Report.Ratio("ADD+DEL (cluster hanging / standalone)", hanging.OursTotal, hanging.ReferenceTotal, target: 1.1);

return 0;

static string? Arg(string name)
{
    var args = Environment.GetCommandLineArgs();
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
