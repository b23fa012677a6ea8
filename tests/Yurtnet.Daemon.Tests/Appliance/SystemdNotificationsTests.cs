using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Tests.CniApi;

namespace Yurtnet.Daemon.Tests.Appliance;

public sealed class SystemdNotificationsTests
{
    private sealed class RecordingNotifier : ISystemdNotifier
    {
        private readonly List<string> _sent = [];

        public bool IsEnabled => true;

        public IReadOnlyList<string> Sent
        {
            get
            {
                lock (_sent)
                {
                    return [.. _sent];
                }
            }
        }

        public void Notify(ServiceState state)
        {
            lock (_sent)
            {
                _sent.Add(state.ToString());
            }
        }
    }

    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);

    private static SystemdNotifications Notifications(DaemonHarness daemon, ISystemdNotifier notifier, TimeSpan watchdogInterval) =>
        new(notifier, daemon.Server, daemon.Get<Liveness>(), new WatchdogRequest(watchdogInterval), daemon.Health, daemon.Time, NullLogger<SystemdNotifications>.Instance);

    [Fact]
    public async Task Ready_comes_after_the_socket_serves_and_keep_alives_follow_while_alive()
    {
        var time = new FakeTimeProvider(T0);
        await using var daemon = new DaemonHarness(time: time);
        var notifier = new RecordingNotifier();
        using var notifications = Notifications(daemon, notifier, TimeSpan.FromSeconds(5));
        await notifications.StartAsync(CancellationToken.None);
        Assert.Empty(notifier.Sent);

        await daemon.StartAsync();
        Assert.True(await Eventually.WaitForAsync(() => notifier.Sent.Count(s => s == "WATCHDOG=1") == 1));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await Eventually.WaitForAsync(() => notifier.Sent.Count(s => s == "WATCHDOG=1") == 2));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await Eventually.WaitForAsync(() => notifier.Sent.Count(s => s == "WATCHDOG=1") == 3));
        await notifications.StopAsync(CancellationToken.None);

        var sent = notifier.Sent;
        Assert.Equal("READY=1", sent[0]);
        Assert.Equal(3, sent.Count(s => s == "WATCHDOG=1"));
        Assert.Contains(sent, s => s.StartsWith("STATUS=ready: 0 active", StringComparison.Ordinal));
        Assert.Equal("STOPPING=1", sent[^1]);
    }

    [Fact]
    public async Task Wedged_main_loop_withholds_keep_alives_and_says_why()
    {
        var time = new FakeTimeProvider(T0);
        await using var daemon = new DaemonHarness(time: time);
        await daemon.StartAsync();
        var notifier = new RecordingNotifier();
        using var notifications = Notifications(daemon, notifier, TimeSpan.FromSeconds(5));
        await notifications.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.WaitForAsync(() => notifier.Sent.Contains("WATCHDOG=1")));

        // The reconciler's loop is not running in the harness: an hour without a pass is a wedged daemon.
        time.Advance(TimeSpan.FromHours(1));
        Assert.True(await Eventually.WaitForAsync(() => notifier.Sent.Any(s => s.StartsWith("STATUS=wedged", StringComparison.Ordinal))));
        for (var tick = 0; tick < 3; tick++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(50);
            Assert.Equal(1, notifier.Sent.Count(s => s == "WATCHDOG=1"));
        }

        await notifications.StopAsync(CancellationToken.None);
        Assert.Contains(notifier.Sent, s => s == "STATUS=wedged: main loop has not run for 3600 s");
        Assert.Equal(1, notifier.Sent.Count(s => s == "WATCHDOG=1"));
    }

    [Fact]
    public async Task A_keep_alive_that_comes_late_is_recorded_as_a_near_miss()
    {
        var time = new FakeTimeProvider(T0);
        await using var daemon = new DaemonHarness(time: time);
        await daemon.StartAsync();
        var notifier = new RecordingNotifier();
        using var notifications = Notifications(daemon, notifier, TimeSpan.FromSeconds(5));
        await notifications.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.WaitForAsync(() => notifier.Sent.Count(s => s == "WATCHDOG=1") == 1));

        // systemd kills at 10 s (twice the ping interval); a ping 7 s after the last is within it, but late.
        time.Advance(TimeSpan.FromSeconds(7));
        Assert.True(await Eventually.WaitForAsync(() => notifier.Sent.Count(s => s == "WATCHDOG=1") == 2));
        await notifications.StopAsync(CancellationToken.None);

        Assert.Equal(1, daemon.Health.Snapshot().RecentFailures);
        Assert.Contains("systemd watchdog near-miss: keep-alive 7.0 s after the last, timeout 10 s", daemon.Health.Snapshot().LastFailure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("30000000", null, 15.0)]
    [InlineData("30000000", "SELF", 15.0)]
    [InlineData("30000000", "1", null)]
    [InlineData("garbage", null, null)]
    public void Watchdog_is_pinged_at_half_its_timeout_and_only_by_the_watched_process(string? usec, string? pid, double? expectedSeconds)
    {
        var self = Environment.ProcessId;
        var env = new Dictionary<string, string?> { ["WATCHDOG_USEC"] = usec, ["WATCHDOG_PID"] = pid == "SELF" ? self.ToString(System.Globalization.CultureInfo.InvariantCulture) : pid };

        var request = WatchdogRequest.FromEnvironment(k => env.GetValueOrDefault(k), self);

        Assert.Equal(expectedSeconds, request.Interval?.TotalSeconds);
    }
}
