using System.Diagnostics;
using System.Globalization;
using Yurtnet.Bench;
using Yurtnet.CriDriver.Cri;

namespace Yurtnet.CriDriver;

/// <summary>
/// make bench's runtime section: kubelet's sandbox calls against two runtimes that differ only in their CNI network
/// (the first is ours, the second the reference), interleaved: each round runs every step on both, the order swapped
/// every round, so machine noise hits both alike. Per parallelism: RunPodSandbox and the first StopPodSandbox (the
/// one that tears the network down) of <c>pods</c> sandboxes; then a storm: <c>storm</c> sandboxes created and torn
/// down (Stop, Stop, Remove) <c>stormParallel</c> at a time, as pods per second.
/// </summary>
internal static class RuntimeBench
{
    public static async Task<int> RunAsync(List<(string Name, string Path)> sockets, int[] parallelism, int pods, int rounds, int storm, int stormParallel,
        TimeSpan timeout, string logRoot, string cgroupParent, CancellationToken cancellationToken)
    {
        if (sockets.Count != 2)
        {
            Console.Error.WriteLine("bench: two --socket NAME=PATH, ours first, then the reference");
            return 2;
        }

        var connections = sockets.Select(s => new CriConnection(s.Path, timeout)).ToArray();
        try
        {
            var kubelets = connections.Select(c => new Kubelet(c, logRoot, cgroupParent)).ToArray();
            var version = await connections[0].Runtime.VersionAsync(new VersionRequest { Version = "v1" }, connections[0].Deadline(cancellationToken));
            var run = new Samples[2, parallelism.Length];
            var stop = new Samples[2, parallelism.Length];
            var storms = new[] { new List<StormRate>(), new List<StormRate>() };
            for (var n = 0; n < 2; n++)
            {
                for (var p = 0; p < parallelism.Length; p++)
                {
                    (run[n, p], stop[n, p]) = (new Samples(), new Samples());
                }
            }

            for (var round = 0; round < rounds; round++)
            {
                int[] order = round % 2 == 0 ? [0, 1] : [1, 0];
                Console.Error.WriteLine($"bench runtime: round {round + 1} of {rounds}");
                for (var p = 0; p < parallelism.Length; p++)
                {
                    foreach (var n in order)
                    {
                        var specs = PodSpec.Numbered("bench", $"r{round}p{parallelism[p]}", pods, 0);
                        await LatenciesAsync(kubelets[n], specs, parallelism[p], run[n, p], stop[n, p], cancellationToken);
                    }
                }

                foreach (var n in order)
                {
                    storms[n].Add(await StormAsync(kubelets[n], PodSpec.Numbered("bench", $"r{round}storm", storm, 0), stormParallel, cancellationToken));
                }
            }

            var (ours, reference) = (sockets[0].Name, sockets[1].Name);
            for (var p = 0; p < parallelism.Length; p++)
            {
                Report.Header($"Runtime ({version.RuntimeName} {version.RuntimeVersion} CRI, as kubelet calls it): RunPodSandbox (Run) and the first StopPodSandbox (Stop), {parallelism[p]} at a time", pods * rounds);
                Report.Row($"{ours} Run", run[0, p]);
                Report.Row($"{reference} Run", run[1, p]);
                Report.Row($"{ours} Stop", stop[0, p]);
                Report.Row($"{reference} Stop", stop[1, p]);
                Report.Ratio($"RunPodSandbox (parallel {parallelism[p]})", run[0, p], run[1, p], target: null);
                Report.Ratio($"StopPodSandbox (parallel {parallelism[p]})", stop[0, p], stop[1, p], target: null);
            }

            Report.Title($"Runtime storm: {storm} sandboxes created, then stopped twice and removed, {stormParallel} at a time  ({rounds} runs each, interleaved; medians)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"",-28}{"create/s",10}{"delete/s",10}{"pods/s",10}"));
            var medians = storms.Select(StormRate.Median).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {ours,-28}{medians[0].Create,10:0.0}{medians[0].Delete,10:0.0}{medians[0].Total,10:0.0}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {reference,-28}{medians[1].Create,10:0.0}{medians[1].Delete,10:0.0}{medians[1].Total,10:0.0}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  ratio yurtnet/reference storm pods/s: {medians[0].Total / medians[1].Total:0.00}  (create {medians[0].Create / medians[1].Create:0.00}, delete {medians[0].Delete / medians[1].Delete:0.00})"));
            return 0;
        }
        finally
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }
    }

    private static async Task LatenciesAsync(Kubelet kubelet, IReadOnlyList<PodSpec> pods, int parallelism, Samples run, Samples stop, CancellationToken cancellationToken)
    {
        var ids = new string[pods.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
        var gate = new Lock();
        await Parallel.ForAsync(0, pods.Count, options, async (i, token) =>
        {
            var watch = Stopwatch.StartNew();
            ids[i] = await kubelet.RunSandboxAsync(pods[i], token);
            lock (gate)
            {
                run.Add(watch.Elapsed.TotalMilliseconds);
            }
        });
        await Parallel.ForAsync(0, pods.Count, options, async (i, token) =>
        {
            var first = await kubelet.TeardownAsync(ids[i], token);
            lock (gate)
            {
                stop.Add(first);
            }
        });
    }

    private static async Task<StormRate> StormAsync(Kubelet kubelet, IReadOnlyList<PodSpec> pods, int parallelism, CancellationToken cancellationToken)
    {
        var ids = new string[pods.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
        var watch = Stopwatch.StartNew();
        await Parallel.ForAsync(0, pods.Count, options, async (i, token) => ids[i] = await kubelet.RunSandboxAsync(pods[i], token));
        var create = watch.Elapsed.TotalSeconds;
        watch.Restart();
        await Parallel.ForAsync(0, pods.Count, options, async (i, token) => await kubelet.TeardownAsync(ids[i], token));
        var delete = watch.Elapsed.TotalSeconds;
        return new StormRate(pods.Count / create, pods.Count / delete, pods.Count / (create + delete));
    }

    /// <summary>Sandboxes per second of one storm: created, torn down, and over both.</summary>
    private sealed record StormRate(double Create, double Delete, double Total)
    {
        public static StormRate Median(List<StormRate> rates) =>
            new(Middle(rates.Select(r => r.Create)), Middle(rates.Select(r => r.Delete)), Middle(rates.Select(r => r.Total)));

        private static double Middle(IEnumerable<double> values)
        {
            var samples = new Samples();
            foreach (var value in values)
            {
                samples.Add(value);
            }

            return samples.Percentile(50);
        }
    }
}
