using Yurtnet.Daemon.Cluster;

namespace Yurtnet.Daemon.Tests.Cluster;

public sealed class CloudVerdictTests
{
    [Theory]
    [InlineData("Healthy", "Failed", "Online")]
    [InlineData("Unhealthy", "Live", "Offline")]
    [InlineData("NoMetric", "None", "Unknown")]
    [InlineData("NoMetric", "Live", "Online")]
    [InlineData("NoMetric", "Failed", "Offline")]
    [InlineData("Unreachable", "None", "Unknown")]
    [InlineData("Unreachable", "Failed", "Offline")]
    [InlineData("Unreachable", "Live", "Online")]
    [InlineData("None", "None", "Unknown")]
    public void Hub_metric_decides_when_present_else_only_unfakeable_traffic_does(string hub, string api, string expected)
    {
        Assert.Equal(Enum.Parse<CloudState>(expected), CloudVerdict.Decide(Enum.Parse<HubReport>(hub), Enum.Parse<ApiEvidence>(api)).State);
    }

    [Fact]
    public void Metric_absent_reads_as_no_metric_not_as_offline()
    {
        Assert.Equal(HubReport.NoMetric, CloudVerdict.FromMetrics("# HELP node_yurthub_in_flight_requests_collector x\nnode_yurthub_in_flight_requests_collector{client=\"yurtnet\"} 1\n"));
    }

    [Theory]
    [InlineData("node_yurthub_server_healthy_status{server=\"https://10.0.0.1:6443\"} 1\n", "Healthy")]
    [InlineData("node_yurthub_server_healthy_status{server=\"https://10.0.0.1:6443\"} 0\n", "Unhealthy")]
    [InlineData("node_yurthub_server_healthy_status{server=\"a\"} 0\nnode_yurthub_server_healthy_status{server=\"b\"} 1\n", "Healthy")]
    [InlineData("node_yurthub_server_healthy_status 0\r\n", "Unhealthy")]
    [InlineData("node_yurthub_server_healthy_status_total{server=\"a\"} 1\n", "NoMetric")]
    [InlineData("# TYPE node_yurthub_server_healthy_status gauge\n", "NoMetric")]
    public void Healthy_status_metric_is_read_per_api_server(string exposition, string expected)
    {
        Assert.Equal(Enum.Parse<HubReport>(expected), CloudVerdict.FromMetrics(exposition));
    }
}
