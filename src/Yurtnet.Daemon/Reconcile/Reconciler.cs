using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Reconcile;

/// <summary>
/// Self-reconciliation, because no runtime calls CNI GC today: periodically applies spooled releases, reclaims
/// pending leases never committed, frees held leases whose hold expired, and repairs what the networks share with the
/// host (<see cref="HostRepair"/>).
/// </summary>
internal sealed partial class Reconciler(LeaseKeeper keeper, SpoolDrain spool, HostRepair host, ReconcileOptions options, TimeProvider time, ILogger<Reconciler> logger) : BackgroundService
{
    private long _lastPassTicks;

    /// <summary>When the last pass finished: the daemon's main loop is alive while this keeps moving.</summary>
    public DateTimeOffset LastPass => new(Interlocked.Read(ref _lastPassTicks), TimeSpan.Zero);

    /// <summary>
    /// Runs one pass: the spool, uncommitted leases, expired holds and, with <paramref name="repairHost"/>, the host
    /// repair. At start-up, before the socket serves anything, it runs without the host repair: that may wait for a
    /// plugin's masquerade lock, and a DEL holding it waits for this socket. The pass counts as the loop running even
    /// when the store refuses its writes: a full disk is a degraded state the watchdogs must not reset the box over.
    /// </summary>
    public async Task<ReconcilePass> RunOnceAsync(bool repairHost, CancellationToken cancellationToken)
    {
        try
        {
            var drained = 0;
            ReclaimOutcome? outcome = null;
            string? failed = null;
            try
            {
                drained = await spool.DrainAsync(cancellationToken);
                outcome = await keeper.ReclaimAsync(cancellationToken);
                if (drained + outcome.PendingReclaimed + outcome.HoldsExpired + outcome.EarlierBootHeld > 0)
                {
                    LogPass(logger, drained, outcome.PendingReclaimed, outcome.HoldsExpired, outcome.EarlierBootHeld);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A store that refuses writes stops the releases, not the host repair (which needs only the leases in
                // memory): the card being full must not leave a flushed masquerade chain unrepaired.
                failed = ex.Message;
                LogFailed(logger, ex.Message);
            }

            // After the releases: a network whose last lease went just now loses its masquerade chain in this pass.
            var repairs = repairHost ? await host.RunAsync(Beat, cancellationToken) : [];
            return new ReconcilePass(drained, outcome ?? ReclaimOutcome.None, repairs, failed);
        }
        finally
        {
            Beat();
        }
    }

    /// <summary>The main loop moved: what liveness follows (also between the steps of a long pass).</summary>
    private void Beat() => Interlocked.Exchange(ref _lastPassTicks, time.GetUtcNow().UtcTicks);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ReconcileInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(repairHost: true, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex.Message);
            }
        }
    }
}
