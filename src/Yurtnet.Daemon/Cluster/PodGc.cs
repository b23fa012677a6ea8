using System.Net;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.State;
using Yurtnet.Netlink;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Cluster-driven GC: frees the leases of pods the live API server no longer has (see <see cref="GcVerdict"/>), for
/// runtimes that never send DEL or CNI GC (a sandbox lost in a crash, a pod deleted while the node was off). Runs
/// on a local timer and on changes of the pod view; makes no API request of its own.
/// </summary>
internal sealed partial class PodGc(CloudHealth cloud, PodView view, LeaseKeeper keeper, HealthModel health, ClusterOptions options, TimeProvider time, ILogger<PodGc> logger)
{
    private readonly Dictionary<IPAddress, (Lease Lease, DateTimeOffset Since)> _missing = [];
    private readonly HashSet<IPAddress> _reportedLive = [];

    private TimeSpan Interval => TimeSpan.FromMilliseconds(Math.Clamp(options.GcGrace.TotalMilliseconds / 4, 200, 30_000));

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PassAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteDB.LiteException)
                {
                    LogFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task PassAsync(CancellationToken cancellationToken)
    {
        var (pods, fresh) = view.Snapshot();
        var leases = await keeper.SnapshotAsync(cancellationToken);
        var due = GcVerdict.Due(leases, pods, cloud.State == CloudState.Online, fresh, _missing, time.GetUtcNow(), options.GcGrace);
        _reportedLive.IntersectWith(_missing.Keys);
        if (due.Count == 0)
        {
            return;
        }

        var free = new List<Lease>();
        foreach (var lease in due)
        {
            if (StillInUse(lease, keeper.BootId) is not { } reason)
            {
                free.Add(lease);
            }
            else if (_reportedLive.Add(lease.Ip))
            {
                LogStillLive(logger, lease.Ip, lease.PodKey!, reason);
            }
        }

        foreach (var lease in await keeper.FreeAsync(free, cancellationToken))
        {
            _missing.Remove(lease.Ip);
            LogFreed(logger, lease.Ip, lease.PodKey!, lease.State.ToString().ToLowerInvariant(), options.GcGrace);
            health.Notice(OperatorNotices.AddressReleasedByGc, "Normal", $"released {lease.Ip} ({lease.State.ToString().ToLowerInvariant()} lease) of pod {lease.PodKey}: the API server has not had the pod for {options.GcGrace.TotalMinutes:0.#} min");
        }
    }

    /// <summary>
    /// Why the lease's address may still be in use, or null when it cannot be: a namespace from an earlier boot, or
    /// one that no longer exists, holds nothing. Otherwise the namespace is inspected over rtnetlink. Where it cannot
    /// be (the shipped unit runs without CAP_SYS_ADMIN and with RestrictNamespaces=, so setns is refused), or for an
    /// active lease whose namespace is unknown, the lease counts as in use: never free what might be.
    /// </summary>
    private static string? StillInUse(Lease lease, string bootId)
    {
        if (lease.BootId != bootId)
        {
            return null;
        }

        if (lease.Netns is not { } path)
        {
            return lease.State == LeaseState.Active ? "its network namespace is unknown and the lease is active" : null;
        }

        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var netns = NetworkNamespace.Open(path);
            using var socket = netns.OpenRouteSocket();
            return socket.ListAddresses(0).Any(a => a.Address.Equals(lease.Ip)) ? $"the address is still on an interface in {path}" : null;
        }
        catch (NetlinkException ex) when (ex.IsNotFound)
        {
            return null;
        }
        catch (NetlinkException ex)
        {
            return $"its network namespace {path} still exists ({ex.Message})";
        }
    }
}
