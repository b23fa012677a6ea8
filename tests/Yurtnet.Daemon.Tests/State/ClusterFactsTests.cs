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

    [Fact]
    public async Task Node_pool_and_addresses_survive_a_restart_and_a_change_is_announced()
    {
        NodeFacts? announced = null;
        using (var store = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System))
        using (var facts = new ClusterFacts(store))
        {
            facts.NodeChanged += n => announced = n;
            await facts.SaveNodeAsync(new NodeFacts("gw-1", ["10.244.3.0/24"], T0) { Pool = "shop-12", Addresses = ["InternalIP=192.168.10.11", "Hostname=gw-1"] }, CancellationToken.None);
        }

        using var reopened = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System);
        using var remembered = new ClusterFacts(reopened);
        Assert.Equal(("shop-12", "InternalIP=192.168.10.11,Hostname=gw-1"), (remembered.Node!.Pool, string.Join(",", remembered.Node.Addresses)));
        Assert.Equal("shop-12", announced?.Pool);
    }

    [Fact]
    public async Task Peer_table_changes_survive_a_restart()
    {
        var b = new StoredPeer("gw-b", ["10.244.4.0/24", "fd00:244:4::/64"], ["192.168.10.12"], "shop-12", T0);
        var c = new StoredPeer("gw-c", ["10.244.5.0/24"], ["192.168.10.13"], "shop-12", T0);
        using (var store = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System))
        using (var facts = new ClusterFacts(store))
        {
            await facts.SavePeersAsync([b, c], [], CancellationToken.None);
            await facts.SavePeersAsync([c with { PodCidrs = ["10.244.6.0/24"] }], ["gw-b"], CancellationToken.None);
            Assert.Equal(["gw-c"], facts.Peers.Select(p => p.Name));
        }

        using var reopened = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System);
        using var remembered = new ClusterFacts(reopened);
        var kept = Assert.Single(remembered.Peers);
        Assert.Equal(("gw-c", "shop-12", T0), (kept.Name, kept.Pool, kept.Since));
        Assert.Equal(["10.244.6.0/24"], kept.PodCidrs);
        Assert.Equal(["192.168.10.13"], kept.Addresses);
    }

    [Fact]
    public async Task One_unreadable_peer_is_quarantined_alone()
    {
        using (var store = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System))
        using (var facts = new ClusterFacts(store))
        {
            await facts.SavePeersAsync([new StoredPeer("gw-b", ["10.244.4.0/24"], ["192.168.10.12"], null, T0), new StoredPeer("gw-c", ["10.244.5.0/24"], ["192.168.10.13"], null, T0)], [], CancellationToken.None);
        }

        using (var db = new LiteDB.LiteDatabase(Path.Combine(_dir, StateStore.DataFileName)))
        {
            var peers = db.GetCollection("peers");
            var damaged = peers.FindById("gw-c");
            damaged["podCidrs"] = 42;
            peers.Update(damaged);
        }

        using var reopened = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System);
        using var remembered = new ClusterFacts(reopened);
        Assert.Equal("gw-b", Assert.Single(remembered.Peers).Name);
        Assert.Equal(("peers", "gw-c"), (Assert.Single(reopened.Quarantined).Collection, reopened.Quarantined[0].Id));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
