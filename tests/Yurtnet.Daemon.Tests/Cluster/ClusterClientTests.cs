using Yurtnet.Daemon.Cluster;

namespace Yurtnet.Daemon.Tests.Cluster;

public sealed class ClusterClientTests
{
    [Fact]
    public void Missing_ca_file_is_a_configuration_problem_naming_the_file_not_a_crash()
    {
        using var client = new ClusterClient(new ClusterOptions { NodeName = "gw-1", CaFile = "/nonexistent/ca.crt", TokenFile = "/etc/yurtnet/token" });

        Assert.NotNull(client.ConfigurationProblem);
        Assert.Contains("cluster.caFile /nonexistent/ca.crt", client.ConfigurationProblem, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => client.BaseUri);
    }

    [Fact]
    public void Plain_http_server_with_a_token_file_is_configured_without_reading_the_token_yet()
    {
        using var client = new ClusterClient(new ClusterOptions { NodeName = "gw-1", Server = new Uri("http://127.0.0.1:10261"), TokenFile = "/nonexistent/token" });

        Assert.Null(client.ConfigurationProblem);
        Assert.Equal(new Uri("http://127.0.0.1:10261/"), client.BaseUri);
    }
}
