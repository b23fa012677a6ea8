using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.CniApi;

namespace Yurtnet.Daemon.Appliance;

/// <summary>
/// Talks to systemd (Type=notify): READY=1 once the store is open, the spool drained and the socket serving;
/// STATUS= with a one-line summary whenever it changes; WATCHDOG=1 at half of WATCHDOG_USEC, only while
/// <see cref="Liveness"/> holds; STOPPING=1 when stopping. Without NOTIFY_SOCKET the notifier does nothing.
/// </summary>
/// <remarks>
/// Microsoft.Extensions.Hosting.Systemd's lifetime would send READY=1 when the host has started, which is before
/// the socket serves; so the library's notifier is used directly and READY waits for the socket.
/// </remarks>
internal sealed partial class SystemdNotifications(ISystemdNotifier notifier, CniSocketServer server, Liveness liveness, WatchdogRequest watchdogRequest, HealthModel health, TimeProvider time, ILogger<SystemdNotifications> logger) : BackgroundService
{
    private static readonly TimeSpan StatusPeriod = TimeSpan.FromSeconds(10);
    private bool _failing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await server.Serving.WaitAsync(stoppingToken);
        Notify(ServiceState.Ready);
        var watchdog = watchdogRequest.Interval;
        // At least a millisecond, PeriodicTimer's least period (systemd would give us 1 ms only for WatchdogSec=2ms).
        var period = watchdog is { } w && w < StatusPeriod ? TimeSpan.FromTicks(Math.Max(w.Ticks, TimeSpan.TicksPerMillisecond)) : StatusPeriod;
        LogReady(logger, notifier.IsEnabled, watchdog?.TotalSeconds ?? 0);
        health.SetSystemdWatchdog(watchdog is { } interval ? $"keep-alive every {interval.TotalSeconds:0.#} s" : "off (not run with WatchdogSec=)");
        string? lastStatus = null;
        var wasAlive = true;
        var lastKeepAlive = default(DateTimeOffset);

        // A fixed cadence: a slow self-check delays one keep-alive, never the ones after it.
        using var cadence = new PeriodicTimer(period, time);
        do
        {
            var report = await liveness.CheckAsync(period, stoppingToken);
            health.SetLiveness(report);
            if (report.Alive && watchdog is { } pingEvery)
            {
                // Recorded before it is sent: whoever sees the keep-alive sees its time taken (and its near-miss).
                health.RecordKeepAlive("systemd", pingEvery * 2, ref lastKeepAlive);
                Notify(new ServiceState("WATCHDOG=1"));
            }

            if (report.Alive != wasAlive)
            {
                if (report.Alive)
                {
                    LogAliveAgain(logger, report.Summary);
                }
                else
                {
                    LogNotAlive(logger, report.Summary, watchdog is not null);
                }

                wasAlive = report.Alive;
            }

            if (report.Summary != lastStatus)
            {
                Notify(new ServiceState("STATUS=" + report.Summary));
                lastStatus = report.Summary;
            }
        }
        while (await cadence.WaitForNextTickAsync(stoppingToken));
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        Notify(ServiceState.Stopping);
        return base.StopAsync(cancellationToken);
    }

    /// <summary>
    /// One datagram to systemd. A notify socket that refuses or is gone (systemd busy, a supervisor that went away)
    /// must not stop the pod network: logged when it starts failing and when it works again. A keep-alive that did
    /// not arrive lets systemd's watchdog act, as it should.
    /// </summary>
    private void Notify(ServiceState state)
    {
        try
        {
            notifier.Notify(state);
            if (_failing)
            {
                _failing = false;
                LogNotifyWorks(logger);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            if (!_failing)
            {
                _failing = true;
                LogNotifyFailed(logger, Environment.GetEnvironmentVariable("NOTIFY_SOCKET") ?? "?", ex.Message);
            }
        }
    }
}
