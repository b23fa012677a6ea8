using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Yurtnet.Daemon.Appliance;
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

    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);

    /// <summary>Room for a tick that should not come to show itself: the loop answers a liveness check over the socket first.</summary>
    private static Task Settle() => Task.Delay(50);

    private static HardwareWatchdog Watchdog(DaemonHarness daemon, WatchdogOptions options, Func<string, IWatchdogDevice> open) =>
        new(options, open, daemon.Server, daemon.Get<Liveness>(), daemon.Health, daemon.Time, NullLogger<HardwareWatchdog>.Instance);

    [Fact]
    public async Task Keep_alives_follow_a_third_of_the_timeout_the_driver_granted()
    {
        var time = new FakeTimeProvider(T0);
        await using var daemon = new DaemonHarness(time: time);
        await daemon.StartAsync();
        var device = new RecordingWatchdogDevice(grants: 27);
        using var watchdog = Watchdog(daemon, new WatchdogOptions { Timeout = TimeSpan.FromSeconds(30) }, _ => device);

        await watchdog.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.WaitForAsync(() => device.KeepAlives == 1));
        for (var second = 1; second <= 27; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            var expected = 1 + (second / 9);
            if (second % 9 == 0)
            {
                Assert.True(await Eventually.WaitForAsync(() => device.KeepAlives == expected), $"keep-alive {expected} at {second} s");
            }
            else
            {
                await Settle();
                Assert.True(device.KeepAlives == expected, $"{device.KeepAlives} keep-alives at {second} s, expected {expected}");
            }
        }

        await watchdog.StopAsync(CancellationToken.None);
        Assert.Equal(30, device.RequestedTimeout);
        Assert.Equal(TimeSpan.FromSeconds(9), watchdog.KeepAlivePeriod);
        Assert.Equal(4, device.KeepAlives);
    }

    [Fact]
    public async Task Wedged_main_loop_stops_the_keep_alives()
    {
        var time = new FakeTimeProvider(T0);
        await using var daemon = new DaemonHarness(time: time);
        await daemon.StartAsync();
        var device = new RecordingWatchdogDevice(grants: 3);
        using var watchdog = Watchdog(daemon, new WatchdogOptions(), _ => device);
        await watchdog.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.WaitForAsync(() => device.KeepAlives == 1));

        // The reconciler's loop is not running in the harness: an hour without a pass is a wedged daemon.
        time.Advance(TimeSpan.FromHours(1));
        Assert.True(await Eventually.WaitForAsync(() => daemon.Health.Snapshot().HardwareWatchdog.Contains("WITHHELD", StringComparison.Ordinal)));
        for (var period = 0; period < 5; period++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Settle();
            Assert.Equal(1, device.KeepAlives);
        }

        await watchdog.StopAsync(CancellationToken.None);
        Assert.Contains("wedged: main loop has not run for 3600 s", daemon.Health.Snapshot().HardwareWatchdog, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Clean_stop_disarms_with_the_magic_close_unless_nowayout(bool noWayOut, bool disarmed)
    {
        await using var daemon = new DaemonHarness(time: new FakeTimeProvider(T0));
        await daemon.StartAsync();
        var device = new RecordingWatchdogDevice(grants: 3);
        using var watchdog = Watchdog(daemon, new WatchdogOptions { NoWayOut = noWayOut }, _ => device);
        await watchdog.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.WaitForAsync(() => device.KeepAlives == 1));

        await watchdog.StopAsync(CancellationToken.None);

        Assert.Equal(disarmed, device.Disarmed);
        Assert.True(device.Closed);
    }

    [Fact]
    public async Task Missing_device_is_reported_and_the_daemon_runs_on()
    {
        await using var daemon = new DaemonHarness(time: new FakeTimeProvider(T0));
        await daemon.StartAsync();
        using var watchdog = Watchdog(daemon, new WatchdogOptions { Device = "/dev/no-such-watchdog" }, LinuxWatchdogDevice.Open);

        await watchdog.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.WaitForAsync(() => daemon.Health.Snapshot().HardwareWatchdog.StartsWith("not used:", StringComparison.Ordinal)));
        await watchdog.StopAsync(CancellationToken.None);

        Assert.Contains("does not exist: load its driver (e.g. modprobe softdog) or remove the watchdog section", daemon.Health.Snapshot().HardwareWatchdog, StringComparison.Ordinal);
        Assert.True(daemon.Server.Serving.IsCompletedSuccessfully);
    }
}
