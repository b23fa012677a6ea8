using System.Text.Json;
using Yurtnet.Daemon.Cluster;

namespace Yurtnet.Daemon.Tests.Cluster;

public sealed class NodePodCidrTests
{
    private static (List<string> Cidrs, List<string> Problems) Parse(string json) => NodeWatch.PodCidrs(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void Dual_stack_podcidrs_are_read_in_order()
    {
        Assert.Equal(["10.244.3.0/24", "fd00:244:3::/64"], Parse("""{"spec":{"podCIDR":"10.244.3.0/24","podCIDRs":["10.244.3.0/24","fd00:244:3::/64"]}}""").Cidrs);
    }

    [Fact]
    public void Older_single_podcidr_is_used_when_the_list_is_missing()
    {
        Assert.Equal(["10.244.9.0/24"], Parse("""{"spec":{"podCIDR":"10.244.9.0/24"}}""").Cidrs);
    }

    [Fact]
    public void Node_without_podcidrs_gives_none()
    {
        Assert.Empty(Parse("""{"spec":{}}""").Cidrs);
        Assert.Empty(Parse("""{"metadata":{"name":"x"}}""").Cidrs);
    }

    [Fact]
    public void Unusable_podcidr_is_reported_and_left_out()
    {
        var (cidrs, problems) = Parse("""{"spec":{"podCIDRs":["10.1.2.3/24","10.244.3.0/24"]}}""");

        Assert.Equal(["10.244.3.0/24"], cidrs);
        Assert.Single(problems);
        Assert.StartsWith("10.1.2.3/24:", problems[0], StringComparison.Ordinal);
    }
}
