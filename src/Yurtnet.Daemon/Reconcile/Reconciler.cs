using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Reconcile;

/// <summary>
/// Self-reconciliation, because no runtime calls CNI GC today: periodically applies spooled releases, reclaims
/// pending leases never committed and frees held leases whose hold expired.
/// </summary>
internal sealed partial class Reconciler(LeaseKeeper keeper, SpoolDrain spool, ReconcileOptions options, TimeProvider time, ILogger<Reconciler> logger) : BackgroundService
{
    private long _lastPassTicks;

    /// <summary>When the last pass finished: the daemon's main loop is alive while this keeps moving.</summary>
    public DateTimeOffset LastPass => new(Interlocked.Read(ref _lastPassTicks), TimeSpan.Zero);

    /// <summary>
    /// Runs one pass; used at start-up, before the socket serves anything. The pass counts as the loop running even
    /// when the store refuses its writes: a full disk is a degraded state the watchdogs must not reset the box over.
    /// </summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var drained = await spool.DrainAsync(cancellationToken);
            var outcome = await keeper.ReclaimAsync(cancellationToken);
            if (drained + outcome.PendingReclaimed + outcome.HoldsExpired + outcome.EarlierBootHeld > 0)
            {
                LogPass(logger, drained, outcome.PendingReclaimed, outcome.HoldsExpired, outcome.EarlierBootHeld);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _lastPassTicks, time.GetUtcNow().UtcTicks);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ReconcileInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex.Message);
            }
        }
    }
}
