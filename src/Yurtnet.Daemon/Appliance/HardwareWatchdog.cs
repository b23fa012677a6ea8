using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.CniApi;

namespace Yurtnet.Daemon.Appliance;

/// <summary>
/// Drives the board's hardware watchdog: sets its timeout (and reports what the driver granted), keeps it alive at
/// a third of that timeout only while <see cref="Liveness"/> holds, and disarms it with the magic close on a clean
/// stop unless <c>nowayout</c> is set. A hung yurtnetd thus gets the box reset. The keep-alive comes from the same
/// loop that checks liveness, never from a timer that would run on while the daemon is wedged.
/// </summary>
internal sealed partial class HardwareWatchdog(WatchdogOptions options, Func<string, IWatchdogDevice> open, CniSocketServer server, Liveness liveness, HealthModel health, TimeProvider time, ILogger<HardwareWatchdog> logger) : BackgroundService
{
    private IWatchdogDevice? _device;

    /// <summary>The keep-alive period derived from the granted timeout, once armed.</summary>
    public TimeSpan? KeepAlivePeriod { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await server.Serving.WaitAsync(stoppingToken);
        int granted;
        try
        {
            _device = open(options.Device);
            granted = _device.SetTimeout((int)Math.Ceiling(options.Timeout.TotalSeconds));
        }
        catch (IOException ex)
        {
            // Reported once; the pod network does not depend on the watchdog, so the service runs on.
            LogUnavailable(logger, ex.Message);
            health.SetHardwareWatchdog($"not used: {ex.Message}");
            _device?.Dispose();
            _device = null;
            return;
        }

        var period = TimeSpan.FromSeconds(Math.Max(granted, 1) / 3.0);
        KeepAlivePeriod = period;
        LogArmed(logger, options.Device, options.Timeout.TotalSeconds, granted, period.TotalSeconds, options.NoWayOut);
        var armed = $"{options.Device} armed: {granted} s granted, keep-alive every {period.TotalSeconds:0.#} s";
        health.SetHardwareWatchdog(armed);
        var withheld = false;
        var lastKeepAlive = default(DateTimeOffset);

        // A fixed cadence: a slow self-check delays one keep-alive, never the ones after it.
        using var cadence = new PeriodicTimer(period, time);
        do
        {
            var report = await liveness.CheckAsync(period, stoppingToken);
            if (report.Alive)
            {
                // Recorded before it is sent, as for systemd's watchdog: whoever sees the keep-alive sees its near-miss.
                health.RecordKeepAlive("hardware", TimeSpan.FromSeconds(granted), ref lastKeepAlive);
                _device.KeepAlive();
                if (withheld)
                {
                    LogResumed(logger, options.Device);
                    health.SetHardwareWatchdog(armed);
                    withheld = false;
                }
            }
            else if (!withheld)
            {
                LogWithheld(logger, options.Device, report.Summary, granted);
                health.SetHardwareWatchdog($"{options.Device}: keep-alives WITHHELD ({report.Summary}); reset within {granted} s");
                withheld = true;
            }
        }
        while (await cadence.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_device is null)
        {
            return;
        }

        if (options.NoWayOut)
        {
            LogLeftArmed(logger, options.Device);
        }
        else
        {
            _device.DisarmOnClose();
        }

        _device.Dispose();
        _device = null;
    }
}
