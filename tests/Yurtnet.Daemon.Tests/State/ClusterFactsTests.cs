using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

public sealed class ClusterFactsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-facts-").FullName;

    [Fact]
    public async Task Node_cidrs_and_cloud_state_survive_a_restart()
    {
        using (var store = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System))
        using (var facts = new ClusterFacts(store))
        {
            Assert.Null(facts.Node);
            Assert.Null(facts.Cloud);
            await facts.SaveNodeAsync(new NodeFacts("gw-1", ["10.244.3.0/24", "fd00:244:3::/64"], T0), CancellationToken.None);
            await facts.SaveCloudAsync(new CloudRecord("offline", "yurthub reports the API server unhealthy", T0), CancellationToken.None);
        }

        using var reopened = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System);
        using var remembered = new ClusterFacts(reopened);
        Assert.Equal(["10.244.3.0/24", "fd00:244:3::/64"], remembered.Node!.PodCidrs);
        Assert.Equal(("gw-1", T0), (remembered.Node.NodeName, remembered.Node.ObservedAt));
        Assert.Equal(new CloudRecord("offline", "yurthub reports the API server unhealthy", T0), remembered.Cloud);
    }

    [Fact]
    public async Task Saving_node_facts_returns_the_ones_they_replace()
    {
        using var store = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System);
        using var facts = new ClusterFacts(store);

        var first = await facts.SaveNodeAsync(new NodeFacts("gw-1", ["10.244.3.0/24"], T0), CancellationToken.None);
        var second = await facts.SaveNodeAsync(new NodeFacts("gw-1", ["10.244.9.0/24"], T0.AddHours(1)), CancellationToken.None);

        Assert.Null(first);
        Assert.Equal(["10.244.3.0/24"], second!.PodCidrs);
        Assert.Equal(["10.244.9.0/24"], facts.Node!.PodCidrs);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
