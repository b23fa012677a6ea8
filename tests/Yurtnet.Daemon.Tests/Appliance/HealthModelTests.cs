using Microsoft.Extensions.Time.Testing;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Tests.CniApi;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.Appliance;

public sealed class HealthModelTests
{
    [Fact]
    public void Standalone_daemon_starts_with_nothing_configured_and_not_yet_alive()
    {
        var health = new HealthModel(TimeProvider.System).Snapshot();

        Assert.Equal("standalone", health.Cloud);
        Assert.Equal("not configured", health.Uplink);
        Assert.Equal("not configured", health.HardwareWatchdog);
        Assert.False(health.Alive);
        Assert.Equal(0, health.RecentFailures);
        Assert.Equal("starting", health.Cni);
    }

    [Fact]
    public void Cni_is_ready_once_serving_with_a_writable_store()
    {
        var health = new HealthModel(TimeProvider.System);
        health.SetServing();
        Assert.Equal("ready", health.Snapshot().Cni);

        health.SetStore("state database /var/lib/yurtnet/state.db is not writable: No space left on device");
        Assert.Equal("not ready: state database /var/lib/yurtnet/state.db is not writable: No space left on device", health.Snapshot().Cni);
    }

    [Fact]
    public void Failures_count_for_ten_minutes_then_drop_out()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000));
        var health = new HealthModel(time);
        health.RecordFailure("pool full");
        time.Advance(TimeSpan.FromMinutes(6));
        health.RecordFailure("rolled back");

        Assert.Equal(2, health.Snapshot().RecentFailures);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, health.Snapshot().RecentFailures);
        time.Advance(TimeSpan.FromMinutes(6));
        var later = health.Snapshot();
        Assert.Equal(0, later.RecentFailures);
        Assert.EndsWith("rolled back", later.LastFailure, StringComparison.Ordinal);
    }

    [Fact]
    public void Late_keep_alive_is_a_near_miss_failure()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000));
        var health = new HealthModel(time);
        var last = default(DateTimeOffset);

        Assert.False(health.RecordKeepAlive("hardware", TimeSpan.FromSeconds(30), ref last));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(health.RecordKeepAlive("hardware", TimeSpan.FromSeconds(30), ref last));
        time.Advance(TimeSpan.FromSeconds(25));
        Assert.True(health.RecordKeepAlive("hardware", TimeSpan.FromSeconds(30), ref last));

        var snapshot = health.Snapshot();
        Assert.Equal(1, snapshot.RecentFailures);
        Assert.Contains("hardware watchdog near-miss: keep-alive 25.0 s after the last, timeout 30 s", snapshot.LastFailure, StringComparison.Ordinal);
    }

    [Fact]
    public void Near_miss_is_an_operator_notice_and_repeats_are_one_notice_with_a_count_and_the_last_message()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000));
        var health = new HealthModel(time);
        var noticed = 0;
        health.Noticed += () => noticed++;
        var last = default(DateTimeOffset);
        var first = time.GetUtcNow();

        Assert.False(health.RecordKeepAlive("hardware", TimeSpan.FromSeconds(30), ref last));
        time.Advance(TimeSpan.FromSeconds(25));
        Assert.True(health.RecordKeepAlive("hardware", TimeSpan.FromSeconds(30), ref last));
        time.Advance(TimeSpan.FromSeconds(28));
        Assert.True(health.RecordKeepAlive("hardware", TimeSpan.FromSeconds(30), ref last));
        health.Notice(OperatorNotices.PoolExhausted, "Warning", "no free address in 10.0.0.0/30");

        var notices = health.Notices().ToDictionary(n => n.Reason);
        Assert.Equal(3, noticed);
        Assert.Equal(2, notices.Count);
        var nearMiss = notices[OperatorNotices.WatchdogNearMiss];
        Assert.Equal(("Warning", 2), (nearMiss.Type, nearMiss.Count));
        Assert.Contains("came 28.0 s after the last", nearMiss.Message, StringComparison.Ordinal);
        Assert.Equal(first.AddSeconds(25), nearMiss.First);
        Assert.Equal(first.AddSeconds(53), nearMiss.Last);
        Assert.Equal(1, notices[OperatorNotices.PoolExhausted].Count);
    }

    [Fact]
    public async Task Exhausted_pools_and_rolled_back_adds_show_as_failures_in_status()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        var tiny = new AllocateRequest { ContainerId = "c0", IfName = "eth0", Network = "n", Subnets = ["10.9.0.0/30"] };
        client.Send(tiny, TimeSpan.FromSeconds(10));
        client.Send(tiny with { ContainerId = "c1" }, TimeSpan.FromSeconds(10));
        client.Send(new ReleaseRequest { ContainerId = "c0", IfName = "eth0", Network = "n", Rollback = true }, TimeSpan.FromSeconds(10));

        var status = Assert.IsType<StatusResponse>(client.Send(new StatusRequest(), TimeSpan.FromSeconds(10)));

        Assert.Equal(2, status.Health!.RecentFailures);
        Assert.Contains("rolled back", status.Health.LastFailure, StringComparison.Ordinal);
        Assert.Equal("ok", status.Health.Store);
    }
}
