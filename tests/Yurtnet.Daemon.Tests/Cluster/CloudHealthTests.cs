using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Cluster;

namespace Yurtnet.Daemon.Tests.Cluster;

public sealed class CloudHealthTests
{
    private static CloudHealth New() => new(new HealthModel(TimeProvider.System), TimeProvider.System, NullLogger<CloudHealth>.Instance);

    [Fact]
    public void With_a_cluster_link_the_health_model_says_unknown_from_the_first_moment_not_standalone()
    {
        // An ADD without subnets before the link's first evidence must hear "try again", not "fix your conflist".
        var health = new HealthModel(TimeProvider.System);
        Assert.Equal("standalone", health.Snapshot().Cloud);

        _ = new CloudHealth(health, TimeProvider.System, NullLogger<CloudHealth>.Instance);

        Assert.Equal("unknown", health.Snapshot().Cloud);
    }

    [Fact]
    public void Failed_probe_after_yurthub_called_the_cloud_unhealthy_does_not_revive_an_older_live_watch()
    {
        var cloud = New();
        cloud.ReportLive();
        cloud.ReportHub(HubReport.Unhealthy);
        Assert.Equal(CloudState.Offline, cloud.State);

        cloud.ReportHub(HubReport.Unreachable);

        Assert.Equal(CloudState.Unknown, cloud.State);
    }

    [Fact]
    public void Live_watch_after_yurthub_went_away_is_online()
    {
        var cloud = New();
        cloud.ReportHub(HubReport.Unhealthy);
        cloud.ReportHub(HubReport.Unreachable);

        cloud.ReportLive();

        Assert.Equal(CloudState.Online, cloud.State);
    }

    [Fact]
    public void Last_online_is_now_while_online_and_the_moment_it_ended_after()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T12:00:00Z", CultureInfo.InvariantCulture));
        var cloud = new CloudHealth(new HealthModel(time), time, NullLogger<CloudHealth>.Instance);
        Assert.Null(cloud.LastOnline);

        cloud.ReportLive();
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(time.GetUtcNow(), cloud.LastOnline);
        var cut = time.GetUtcNow();
        cloud.ReportHub(HubReport.Unhealthy);
        time.Advance(TimeSpan.FromHours(3));

        Assert.Equal(CloudState.Offline, cloud.State);
        Assert.Equal(cut, cloud.LastOnline);
    }

    [Fact]
    public void Online_remembered_from_before_a_restart_is_no_evidence_of_being_online()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T12:00:00Z", CultureInfo.InvariantCulture));
        var cloud = new CloudHealth(new HealthModel(time), time, NullLogger<CloudHealth>.Instance);

        cloud.Restore(CloudState.Online, time.GetUtcNow() - TimeSpan.FromDays(1));
        Assert.Null(cloud.LastOnline);
        cloud.ReportHub(HubReport.Unhealthy);

        Assert.Null(cloud.LastOnline);
    }
}
