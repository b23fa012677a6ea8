using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.Tests.Configuration;

namespace Yurtnet.Daemon.Tests.Cluster;

/// <summary>The <c>cluster</c> section, read through the whole settings file so the problems carry their full key.</summary>
public sealed class ClusterOptionsTests
{
    [Fact]
    public void Without_a_cluster_section_the_daemon_is_standalone()
    {
        Assert.Null(SettingsFile.Read(out _).Cluster);
    }

    [Fact]
    public void Cluster_defaults_to_yurthubs_tls_proxy_and_the_host_name_in_lower_case()
    {
        var options = SettingsFile.Read(out var problems, null, ("cluster:caFile", "/etc/kubernetes/pki/ca.crt"), ("cluster:tokenFile", "/etc/yurtnet/token"));

        Assert.Empty(problems);
        Assert.Equal(new ClusterOptions { NodeName = "gw-host", CaFile = "/etc/kubernetes/pki/ca.crt", TokenFile = "/etc/yurtnet/token" }, options.Cluster);
        Assert.Equal("https://169.254.2.1:10268/", options.Cluster!.Server.ToString());
        Assert.Equal("http://127.0.0.1:10267/", options.Cluster.HubManagement.ToString());
        Assert.Equal((5.0, 10), (options.Cluster.Qps, options.Cluster.Burst));
    }

    [Fact]
    public void Node_name_comes_from_the_key_then_NODE_NAME_then_the_host_name()
    {
        (string, string)[] plain = [("cluster:server", "http://127.0.0.1:10261"), ("cluster:tokenFile", "/t")];

        Assert.Equal("from-env", SettingsFile.Read(out _, "from-env", plain).Cluster!.NodeName);
        Assert.Equal("from-key", SettingsFile.Read(out _, "from-env", [.. plain, ("cluster:nodeName", "from-key")]).Cluster!.NodeName);
        Assert.Equal("gw-host", SettingsFile.Read(out _, null, plain).Cluster!.NodeName);
    }

    [Theory]
    [InlineData("cluster:server", "https://169.254.2.1:10268", "cluster.caFile: required for https://169.254.2.1:10268/")]
    [InlineData("cluster:server", "ftp://x", "cluster.server: \"ftp://x\" must be an http or https URL without a path")]
    [InlineData("cluster:nodeName", "Bad_Name", "cluster.nodeName: \"Bad_Name\" is not a Kubernetes node name")]
    [InlineData("cluster:qps", "0", "cluster.qps: \"0\" must be a number of requests per second")]
    [InlineData("cluster:kubeconfig", "/etc/yurtnet/kubeconfig", "cluster.server/tokenFile, kubeconfig and inCluster are alternatives")]
    [InlineData("cluster:watchtimeout", "1s", "cluster.watchtimeout:")]
    [InlineData("cluster:colour", "blue", "cluster.colour: unknown key")]
    public void Bad_cluster_keys_are_named(string key, string value, string problem)
    {
        (string Key, string Value)[] valid = [("cluster:tokenFile", "/t"), ("cluster:server", "http://127.0.0.1:10261")];
        SettingsFile.Read(out var problems, null, [.. valid.Where(v => v.Key != key), (key, value)]);

        Assert.Contains(problems, p => p.StartsWith(problem, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Cluster_without_a_token_is_refused_so_yurthub_never_acts_with_the_nodes_identity()
    {
        SettingsFile.Read(out var problems, null, ("cluster:server", "http://127.0.0.1:10261"));

        Assert.Contains(problems, p => p.StartsWith("cluster.tokenFile: required", StringComparison.Ordinal));
    }
}
