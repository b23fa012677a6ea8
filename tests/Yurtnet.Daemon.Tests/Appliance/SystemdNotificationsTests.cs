using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
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

    [Fact]
    public async Task Ready_comes_after_the_socket_serves_and_keep_alives_follow_while_alive()
    {
        await using var daemon = new DaemonHarness();
        var notifier = new RecordingNotifier();
        using var notifications = new SystemdNotifications(notifier, daemon.Server, new Liveness(daemon.Reconciler, daemon.Options, daemon.Time), new WatchdogRequest(TimeSpan.FromMilliseconds(50)), daemon.Health, daemon.Time, NullLogger<SystemdNotifications>.Instance);
        await notifications.StartAsync(CancellationToken.None);
        Assert.Empty(notifier.Sent);

        await daemon.StartAsync();
        await Eventually.WaitForAsync(() => notifier.Sent.Count(s => s == "WATCHDOG=1") >= 3);
        await notifications.StopAsync(CancellationToken.None);

        var sent = notifier.Sent;
        Assert.Equal("READY=1", sent[0]);
        Assert.True(sent.Count(s => s == "WATCHDOG=1") >= 3, string.Join(" | ", sent));
        Assert.Contains(sent, s => s.StartsWith("STATUS=ready: 0 active", StringComparison.Ordinal));
        Assert.Equal("STOPPING=1", sent[^1]);
    }

    [Fact]
    public async Task Wedged_main_loop_withholds_keep_alives_and_says_why()
    {
        var time = new ShiftedTimeProvider();
        await using var daemon = new DaemonHarness(time: time);
        await daemon.StartAsync();
        var notifier = new RecordingNotifier();
        using var notifications = new SystemdNotifications(notifier, daemon.Server, new Liveness(daemon.Reconciler, daemon.Options, time), new WatchdogRequest(TimeSpan.FromMilliseconds(50)), daemon.Health, time, NullLogger<SystemdNotifications>.Instance);
        await notifications.StartAsync(CancellationToken.None);
        await Eventually.WaitForAsync(() => notifier.Sent.Contains("WATCHDOG=1"));

        time.Advance(TimeSpan.FromHours(1));
        await Eventually.WaitForAsync(() => notifier.Sent.Any(s => s.StartsWith("STATUS=wedged", StringComparison.Ordinal)));
        var pingsWhenWedged = notifier.Sent.Count(s => s == "WATCHDOG=1");
        await Task.Delay(300);
        await notifications.StopAsync(CancellationToken.None);

        Assert.Contains(notifier.Sent, s => s.StartsWith("STATUS=wedged: main loop has not run for", StringComparison.Ordinal));
        Assert.Equal(pingsWhenWedged, notifier.Sent.Count(s => s == "WATCHDOG=1"));
    }

    [Fact]
    public async Task A_keep_alive_that_comes_late_is_recorded_as_a_near_miss()
    {
        var time = new ShiftedTimeProvider();
        await using var daemon = new DaemonHarness(time: time);
        await daemon.StartAsync();
        var notifier = new RecordingNotifier();
        using var notifications = new SystemdNotifications(notifier, daemon.Server, new Liveness(daemon.Reconciler, daemon.Options, time), new WatchdogRequest(TimeSpan.FromMilliseconds(50)), daemon.Health, time, NullLogger<SystemdNotifications>.Instance);
        await notifications.StartAsync(CancellationToken.None);
        await Eventually.WaitForAsync(() => notifier.Sent.Count(s => s == "WATCHDOG=1") >= 2);

        time.Advance(TimeSpan.FromMilliseconds(500));
        await Eventually.WaitForAsync(() => daemon.Health.Snapshot().RecentFailures > 0);
        await notifications.StopAsync(CancellationToken.None);

        Assert.Contains("systemd watchdog near-miss", daemon.Health.Snapshot().LastFailure, StringComparison.Ordinal);
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
