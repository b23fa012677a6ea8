using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yurtnet.Netlink;

namespace Yurtnet.Daemon.Appliance;

/// <summary>
/// Reports the uplink's carrier to the health model as the kernel announces it (rtnetlink link notifications, no
/// polling). Runs on a thread of its own because it waits in the kernel; a failing netlink socket is logged and
/// reopened, never fatal.
/// </summary>
internal sealed partial class UplinkCarrier(ApplianceOptions options, HealthModel health, ILogger<UplinkCarrier> logger) : BackgroundService
{
    private static readonly TimeSpan WaitSlice = TimeSpan.FromSeconds(1);
    private string? _reported;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Uplink is not { } uplink)
        {
            return Task.CompletedTask;
        }

        health.SetUplink(uplink, "unknown");
        return Task.Factory.StartNew(() => Follow(uplink, stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Follow(string uplink, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var watch = LinkWatch.Open(uplink);
                Report(uplink, watch.Current());
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (watch.TryWaitForChange(WaitSlice, out var link))
                    {
                        Report(uplink, link);
                    }
                }
            }
            catch (NetlinkException ex)
            {
                LogFailed(logger, uplink, ex.Message);
                stoppingToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(5));
            }
        }
    }

    private void Report(string uplink, LinkInfo? link)
    {
        var state = link is null ? "missing" : link.HasCarrier ? "up" : "down";
        if (state != _reported)
        {
            LogCarrier(logger, uplink, state);
            _reported = state;
        }

        health.SetUplink(uplink, state);
    }
}
