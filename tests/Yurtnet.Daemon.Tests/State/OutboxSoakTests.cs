using Microsoft.Extensions.Time.Testing;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.PodStatus;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

/// <summary>
/// A two-hour outage, simulated on the keeper's clock with a real store: 500 pod churns (restarts of live pods and
/// short-lived pods) while nothing is delivered. The outbox must end with exactly one entry per live pod, each with
/// that pod's current status, and never hold more than one entry per pod with a network.
/// </summary>
public sealed class OutboxSoakTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-soak-").FullName;

    [Fact]
    public async Task Two_hour_outage_with_500_churns_leaves_one_entry_per_live_pod_with_its_latest_status()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000));
        using var disk = new KeeperOnDisk(_dir, new StateOptions { PodStatusOutbox = true, LeaseHold = TimeSpan.FromMinutes(10) }, time);
        var keeper = disk.Keeper;
        var pool = Pool.TryParse("10.30.0.0/22", out var p, out _) ? p : throw new InvalidOperationException();
        var live = Enumerable.Range(0, 20).ToDictionary(i => $"till-{i}", i => $"c-{i}-0");
        var random = new Random(2026);
        var step = TimeSpan.FromHours(2) / 500;
        var macs = 0;

        async Task AddAsync(string pod, string container)
        {
            var outcome = await keeper.AllocateAsync(new AllocationRequest { ContainerId = container, IfName = "eth0", Network = "edge", PodNamespace = "shop", PodName = pod, Pools = [pool] }, CancellationToken.None);
            Assert.IsType<AllocationOutcome.Allocated>(outcome);
            await keeper.CommitAsync(container, "eth0", $"0a:58:00:00:{++macs / 256:x2}:{macs % 256:x2}", CancellationToken.None);
        }

        foreach (var (pod, container) in live)
        {
            await AddAsync(pod, container);
        }

        for (var churn = 0; churn < 500; churn++)
        {
            time.Advance(step);
            if (random.Next(2) == 0)
            {
                // A live pod's sandbox is recreated: DEL, then ADD with a new container (and a new MAC).
                var pod = $"till-{random.Next(live.Count)}";
                await keeper.ReleaseAsync(live[pod], "eth0", "edge", rollback: false, CancellationToken.None);
                live[pod] = $"c-{pod}-{churn}";
                await AddAsync(pod, live[pod]);
            }
            else
            {
                // A short-lived pod comes and goes.
                await AddAsync($"job-{churn}", $"c-job-{churn}");
                await keeper.ReleaseAsync($"c-job-{churn}", "eth0", "edge", rollback: false, CancellationToken.None);
            }

            await keeper.ReclaimAsync(CancellationToken.None);
            Assert.InRange(keeper.OutboxCount, 0, live.Count);
        }

        var outbox = await keeper.OutboxAsync(CancellationToken.None);
        var leases = await keeper.SnapshotAsync(CancellationToken.None);
        Assert.Equal(live.Keys.Select(k => $"shop/{k}").Order(), outbox.Select(e => e.PodKey).Order());
        Assert.All(outbox, e => Assert.Equal(NetworkStatus.For(leases.Where(l => l.PodKey == e.PodKey)), e.Status));
        Assert.True(time.GetUtcNow() - outbox.Min(e => e.Since) <= TimeSpan.FromHours(2));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
