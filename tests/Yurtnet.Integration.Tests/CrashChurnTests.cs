using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;
using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// Power cuts in the middle of a churn, as a daemon sees them: pods started and stopped through the real plugin while
/// yurtnetd is killed with SIGKILL at random moments (and once inside an fdatasync made slow), restarted each time as
/// systemd's socket unit would. Then: no address in two pods, every DEL applied, the active leases are exactly the
/// live pods.
/// </summary>
[Trait("requirement", "root")]
public sealed class CrashChurnTests(ITestOutputHelper output)
{
    private sealed record Pod(string Container, TestNetns Netns, string[] Addresses);

    [RootFact]
    public async Task Churn_of_500_pods_with_yurtnetd_killed_at_random_keeps_every_promise()
    {
        await using var daemon = new DaemonProcess(""", "pendingTimeout": "10s" """);
        await daemon.StartHeldAsync();
        using var network = new TestNetwork(daemon, "v4");
        var conf = network.Conf(c => c["ipam"]!["subnets"] = new System.Text.Json.Nodes.JsonArray("10.170.0.0/24"));
        var live = new ConcurrentDictionary<string, Pod>();
        var deleted = new ConcurrentBag<string>();
        var failedAdds = new ConcurrentBag<string>();
        var kills = 0;
        var operations = 0;
        using var stop = new CancellationTokenSource();
        var random = new Random(20261129);

        var killer = Task.Run(async () =>
        {
            var rng = new Random(42);
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(rng.Next(50, 400), CancellationToken.None);
                if (!stop.IsCancellationRequested && Kill(daemon.DaemonPid))
                {
                    Interlocked.Increment(ref kills);
                }
            }
        });

        await Parallel.ForEachAsync(Enumerable.Range(0, 500), new ParallelOptions { MaxDegreeOfParallelism = 4 }, (i, _) =>
        {
            bool add;
            Pod? victim = null;
            lock (random)
            {
                add = live.Count < 8 || (live.Count < 24 && random.Next(2) == 0);
                if (!add)
                {
                    victim = live.Values.ElementAt(random.Next(live.Count));
                    if (!live.TryRemove(victim.Container, out Pod? _))
                    {
                        victim = null;
                    }
                }
            }

            if (add)
            {
                var container = $"churn{i}";
                var netns = new TestNetns();
                var run = CniRun.Exec("ADD", conf, container, netns.Path, args: CniRun.PodArgs(container));
                if (run.ExitCode == 0)
                {
                    live[container] = new Pod(container, netns, run.Json.GetProperty("ips").EnumerateArray().Select(ip => ip.GetProperty("address").GetString()!.Split('/')[0]).ToArray());
                }
                else
                {
                    failedAdds.Add($"{container}: {run.Stdout}");
                    CniRun.Exec("DEL", conf, container, netns.Path);
                    netns.Dispose();
                }
            }
            else if (victim is not null)
            {
                var run = CniRun.Exec("DEL", conf, victim.Container, victim.Netns.Path);
                Assert.True(run.ExitCode == 0, $"DEL {victim.Container}: {run}");
                deleted.Add(victim.Container);
                victim.Netns.Dispose();
            }

            Interlocked.Increment(ref operations);
            return ValueTask.CompletedTask;
        });

        // Once more, inside a write: every fdatasync made slow by strace's fault injection, and the daemon killed while
        // an ADD waits for one.
        var pid = daemon.DaemonPid;
        using var strace = Process.Start(new ProcessStartInfo("strace", ["-p", pid.ToString(CultureInfo.InvariantCulture), "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync", "-e", "inject=fdatasync:delay_enter=400000"]))!;
        await Task.Delay(300);
        var midWrite = new TestNetns();
        var slowAdd = Task.Run(() => CniRun.Exec("ADD", conf, "midwrite", midWrite.Path, args: CniRun.PodArgs("midwrite")));
        await Task.Delay(200);
        Kill(pid);
        strace.WaitForExit(5000);
        var midWriteRun = await slowAdd;
        if (midWriteRun.ExitCode == 0)
        {
            live["midwrite"] = new Pod("midwrite", midWrite, midWriteRun.Json.GetProperty("ips").EnumerateArray().Select(ip => ip.GetProperty("address").GetString()!.Split('/')[0]).ToArray());
        }
        else
        {
            failedAdds.Add($"midwrite: {midWriteRun.Stdout}");
            CniRun.Exec("DEL", conf, "midwrite", midWrite.Path);
            midWrite.Dispose();
        }

        await stop.CancelAsync();
        await killer;
        // The pending leases the kills left behind are reclaimed once they are pendingTimeout (10 s) old: reclaim until
        // none is left, for at most 30 s (the assertions below say what remains).
        var reclaimUntil = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        daemon.Ask<ReclaimResponse>(new ReclaimRequest());
        var leases = await daemon.LeasesAsync();
        while (leases.Any(l => l.State == "pending") && DateTime.UtcNow < reclaimUntil)
        {
            await Task.Delay(250);
            daemon.Ask<ReclaimResponse>(new ReclaimRequest());
            leases = await daemon.LeasesAsync();
        }

        output.WriteLine($"{operations} operations, {kills} SIGKILLs, {live.Count} live pods, {deleted.Count} DELs, {failedAdds.Count} failed ADDs");
        foreach (var failed in failedAdds.Take(5))
        {
            output.WriteLine("failed ADD " + failed);
        }

        try
        {
            var liveAddresses = live.Values.SelectMany(p => p.Addresses.Select(a => (Address: a, p.Container))).ToList();
            Assert.Equal(liveAddresses.Count, liveAddresses.Select(a => a.Address).Distinct().Count());
            var active = leases.Where(l => l.State == "active").Select(l => (l.Ip, l.ContainerId)).Order().ToList();
            Assert.Equal(liveAddresses.Select(a => (a.Address, CniRun.ContainerId(a.Container, conf))).Order().ToList(), active);
            Assert.DoesNotContain(leases, l => l.State != "held" && deleted.Any(d => CniRun.ContainerId(d, conf) == l.ContainerId));
            Assert.DoesNotContain(leases, l => l.State == "pending");
            Assert.Empty(Directory.GetFiles(daemon.SpoolDir, "*" + SpooledRelease.FileSuffix));
            Assert.True(kills >= 10, $"only {kills} kills");
        }
        finally
        {
            foreach (var pod in live.Values)
            {
                CniRun.Exec("DEL", conf, pod.Container, pod.Netns.Path);
                pod.Netns.Dispose();
            }
        }
    }

    private static bool Kill(int pid) => TestNetns.Run("kill", "-KILL", pid.ToString(CultureInfo.InvariantCulture)).Code == 0;
}
