using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Configuration;
using Yurtnet.Daemon.Tests.CniApi;

namespace Yurtnet.Daemon.Tests.Appliance;

public sealed class HardwareWatchdogTests
{
    /// <summary>Stands in for /dev/watchdog: records what the daemon asks of the driver.</summary>
    private sealed class RecordingWatchdogDevice(int grants) : IWatchdogDevice
    {
        private int _keepAlives;

        public int? RequestedTimeout { get; private set; }
        public int KeepAlives => Volatile.Read(ref _keepAlives);
        public bool Disarmed { get; private set; }
        public bool Closed { get; private set; }

        public int SetTimeout(int seconds)
        {
            RequestedTimeout = seconds;
            return grants;
        }

        public void KeepAlive() => Interlocked.Increment(ref _keepAlives);

        public void DisarmOnClose() => Disarmed = true;

        public void Dispose() => Closed = true;
    }

    private static HardwareWatchdog Watchdog(DaemonHarness daemon, WatchdogOptions options, Func<string, IWatchdogDevice> open, TimeProvider time) =>
        new(options, open, daemon.Server, new Liveness(daemon.Reconciler, daemon.Options, time), daemon.Health, time, NullLogger<HardwareWatchdog>.Instance);

    [Fact]
    public async Task Keep_alives_follow_a_third_of_the_timeout_the_driver_granted()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        var device = new RecordingWatchdogDevice(grants: 1);
        using var watchdog = Watchdog(daemon, new WatchdogOptions { Timeout = TimeSpan.FromSeconds(30) }, _ => device, TimeProvider.System);

        await watchdog.StartAsync(CancellationToken.None);
        await Eventually.WaitForAsync(() => device.KeepAlives >= 3);
        await watchdog.StopAsync(CancellationToken.None);

        Assert.Equal(30, device.RequestedTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1 / 3.0), watchdog.KeepAlivePeriod);
        Assert.True(device.KeepAlives >= 3);
    }

    [Fact]
    public async Task Wedged_main_loop_stops_the_keep_alives()
    {
        var time = new ShiftedTimeProvider();
        await using var daemon = new DaemonHarness(time: time);
        await daemon.StartAsync();
        var device = new RecordingWatchdogDevice(grants: 1);
        using var watchdog = Watchdog(daemon, new WatchdogOptions(), _ => device, time);
        await watchdog.StartAsync(CancellationToken.None);
        await Eventually.WaitForAsync(() => device.KeepAlives >= 2);

        time.Advance(TimeSpan.FromHours(1));
        await Task.Delay(400);
        var atWedge = device.KeepAlives;
        await Task.Delay(800);
        await watchdog.StopAsync(CancellationToken.None);

        Assert.Equal(atWedge, device.KeepAlives);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Clean_stop_disarms_with_the_magic_close_unless_nowayout(bool noWayOut, bool disarmed)
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        var device = new RecordingWatchdogDevice(grants: 3);
        using var watchdog = Watchdog(daemon, new WatchdogOptions { NoWayOut = noWayOut }, _ => device, TimeProvider.System);
        await watchdog.StartAsync(CancellationToken.None);
        await Eventually.WaitForAsync(() => device.KeepAlives >= 1);

        await watchdog.StopAsync(CancellationToken.None);

        Assert.Equal(disarmed, device.Disarmed);
        Assert.True(device.Closed);
    }

    [Fact]
    public async Task Missing_device_is_reported_and_the_daemon_runs_on()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using var watchdog = Watchdog(daemon, new WatchdogOptions { Device = "/dev/no-such-watchdog" }, LinuxWatchdogDevice.Open, TimeProvider.System);

        await watchdog.StartAsync(CancellationToken.None);
        await Task.Delay(200);
        await watchdog.StopAsync(CancellationToken.None);

        var ex = Assert.Throws<IOException>(() => LinuxWatchdogDevice.Open("/dev/no-such-watchdog"));
        Assert.Contains("does not exist: load its driver (e.g. modprobe softdog) or remove the watchdog section", ex.Message, StringComparison.Ordinal);
        Assert.True(daemon.Server.Serving.IsCompletedSuccessfully);
    }
}
