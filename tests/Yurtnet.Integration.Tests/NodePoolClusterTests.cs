namespace Yurtnet.Integration.Tests;

/// <summary>
/// The NodePool network fed by the cluster: a <see cref="NodePoolSite"/> whose gateways learn each other from the API
/// server double (Nodes of two pools), through cloud outages and offline reboots.
/// </summary>
[Trait("requirement", "root")]
public sealed class NodePoolClusterTests
{
    private static async Task WaitForPeersAsync(SiteGateway gw, params string[] names)
    {
        Assert.True(
            await Eventually.WaitForAsync(() => gw.Peers().Peers.Where(p => p.State == "routed").Select(p => p.Node).Order(StringComparer.Ordinal).SequenceEqual(names), TimeSpan.FromSeconds(20)),
            $"gw-{gw.Name} routes to {string.Join(", ", gw.Peers().Peers.Select(p => $"{p.Node} ({p.State})"))}, not {string.Join(", ", names)}\n{gw.Daemon!.Log}");
    }

    private static string Routes(SiteGateway gw) =>
        NodePoolSite.Exec(gw.Netns, "ip", "route", "show", "proto", "121") + NodePoolSite.Exec(gw.Netns, "ip", "-6", "route", "show", "proto", "121");

    [RootFact]
    public async Task Gateways_of_a_pool_learn_each_other_from_the_api_server_ignore_another_pools_nodes_and_reach_each_others_pods_without_nat()
    {
        await using var site = new NodePoolSite(lanGateways: 3);
        site.ConnectHost();
        await using var api = await ApiServerDouble.StartAsync(NodePoolSite.HostAddress);
        api.HubHealthy = true;
        api.SetNode("plant-1", "plant", ["192.168.77.31"], "10.202.1.0/24");
        api.SetNode("plant-2", "plant", ["192.168.78.32"], "10.202.2.0/24");
        await site.StartClusterAsync(api);

        foreach (var gw in site.Gateways)
        {
            await WaitForPeersAsync(gw, site.Gateways.Where(o => o != gw).Select(o => "gw-" + o.Name).ToArray());
        }

        var a = site.AddPod(site["a"], "pa");
        var c = site.AddPod(site["c"], "pc");
        var d = site.AddPod(site["d"], "pd");
        foreach (var (to, from, address) in new[] { (c, a, a.V4), (a, c, c.V4), (a, d, d.V4), (d, a, a.V6) })
        {
            NodePoolSite.CountArrivalsFrom(to, address);
        }

        foreach (var (to, from, target, source) in new[] { (c, a, c.V4, a.V4), (a, c, a.V4, c.V4), (a, d, a.V4, d.V4), (d, a, d.V6, a.V6) })
        {
            Assert.True(await Eventually.WaitForAsync(() => from.Ping(target) == 0, TimeSpan.FromSeconds(10)), $"{from.Name} -> {to.Name} {target}");
            Assert.True(NodePoolSite.Arrivals(to, source) >= 1, $"{to.Name} saw no echo request from {source}: translated on the way");
        }

        var peersOfA = site["a"].Peers().Peers.ToDictionary(p => p.Node);
        Assert.Equal(("hostgw", "cluster", "shop"), (peersOfA["gw-d"].Mode, peersOfA["gw-d"].Source, peersOfA["gw-d"].Pool));
        Assert.Equal("vxlan", peersOfA["gw-c"].Mode);
        Assert.DoesNotContain("10.202.", Routes(site["a"]), StringComparison.Ordinal);

        // The peers cost the cloud one list and one watch per gateway, all reads, all by label selector.
        var peerRequests = api.Requests.Where(r => r.UserAgent == "yurtnet-peers").ToList();
        Assert.NotEmpty(peerRequests);
        Assert.All(peerRequests, r => Assert.Equal("GET", r.Method));
        Assert.All(peerRequests, r => Assert.Contains("labelSelector=apps.openyurt.io%2Fnodepool%3Dshop", r.Path, StringComparison.Ordinal));
        Assert.True(peerRequests.Count(r => !r.Watch) >= site.Gateways.Count);
    }

    [RootFact]
    public async Task Gateway_rebooted_offline_has_its_cluster_peers_routes_back_from_the_store_before_its_socket_serves_without_the_api_server()
    {
        await using var site = new NodePoolSite();
        site.ConnectHost();
        await using var api = await ApiServerDouble.StartAsync(NodePoolSite.HostAddress);
        api.HubHealthy = true;
        await site.StartClusterAsync(api, resync: "1h");
        var gw = site["a"];
        await WaitForPeersAsync(gw, "gw-b", "gw-c");
        // gw-c must route back to gw-a before the cloud goes: offline, it would never learn gw-a (failed once in CI).
        await WaitForPeersAsync(site["c"], site.Gateways.Where(o => o != site["c"]).Select(o => "gw-" + o.Name).ToArray());
        var a = site.AddPod(gw, "pa");
        var c = site.AddPod(site["c"], "pc");
        Assert.True(await Eventually.WaitForAsync(() => a.Ping(c.V4) == 0, TimeSpan.FromSeconds(20)), "pa -> pc before the power cut");

        // The cloud is gone and so is yurthub; then a power cut takes the daemon and the kernel's state.
        api.HubDown = true;
        api.Mode = ApiMode.Dropping;
        gw.Daemon!.Kill();
        NodePoolSite.Exec(gw.Netns, "ip", "link", "delete", "yurtnet.vxlan");
        NodePoolSite.Exec(gw.Netns, "ip", "route", "flush", "proto", "121");
        NodePoolSite.Exec(gw.Netns, "ip", "-6", "route", "flush", "proto", "121");
        await gw.Daemon.StartInNetnsAsync(gw.Netns.Name);

        var routes = Routes(gw);
        Assert.Contains("10.201.2.0/24 via 192.168.77.12 dev uplink", routes, StringComparison.Ordinal);
        Assert.Contains("10.201.3.0/24 via 10.201.3.0 dev yurtnet.vxlan onlink", routes, StringComparison.Ordinal);
        Assert.Contains("fd20:2::/64 via fd77::12 dev uplink", routes, StringComparison.Ordinal);
        Assert.True(await Eventually.WaitForAsync(() => a.Ping(c.V4) == 0, TimeSpan.FromSeconds(20)),
            $"pa -> pc after the offline restart\n{Routes(gw)}\n{NodePoolSite.Exec(gw.Netns, "ip", "neigh", "show", "dev", "yurtnet.vxlan")}\n{NodePoolSite.Exec(gw.Netns, "bridge", "fdb", "show", "dev", "yurtnet.vxlan")}\n{gw.Daemon.Log}");
        Assert.All(gw.Peers().Peers, p => Assert.Equal(("cluster", "routed"), (p.Source, p.State)));
    }

    [RootFact]
    public async Task Node_removed_from_the_pool_is_kept_while_offline_withdrawn_once_the_live_api_server_lists_the_pool_and_a_changed_pod_cidr_is_followed()
    {
        await using var site = new NodePoolSite(lanGateways: 3);
        site.ConnectHost();
        await using var api = await ApiServerDouble.StartAsync(NodePoolSite.HostAddress);
        api.HubHealthy = true;
        api.SetNode("plant-1", "plant", ["192.168.77.31"], "10.202.1.0/24");
        await site.StartClusterAsync(api);
        var gw = site["a"];
        await WaitForPeersAsync(gw, "gw-b", "gw-c", "gw-d");

        // Offline: yurthub answers lists from its cache, ignoring the selector, and holds watches silent. Its cache
        // lacks gw-b (alive in the cloud), and gw-d is deleted in the cloud meanwhile. gw-a restarts and lists: that
        // answer may not withdraw anything.
        api.HubHealthy = false;
        api.Mode = ApiMode.Offline;
        api.ForgetCachedNode("gw-b");
        api.DeleteNode("gw-d");
        gw.Daemon!.Kill();
        var watchesBefore = api.Requests.Count(r => r.UserAgent == "yurtnet-peers" && r.Watch);
        await gw.Daemon.StartInNetnsAsync(gw.Netns.Name);

        // The watch follows the list: once it is asked for, the list has been taken in.
        Assert.True(await Eventually.WaitForAsync(() => api.Requests.Count(r => r.UserAgent == "yurtnet-peers" && r.Watch) > watchesBefore, TimeSpan.FromSeconds(20)), gw.Daemon.Log);
        await WaitForPeersAsync(gw, "gw-b", "gw-c", "gw-d");
        Assert.Contains("10.201.4.0/24", Routes(gw), StringComparison.Ordinal);
        Assert.DoesNotContain("10.202.", Routes(gw), StringComparison.Ordinal);

        // Online again: the live server's list, confirmed by its watch, withdraws gw-d and keeps gw-b.
        api.Mode = ApiMode.Online;
        api.HubHealthy = true;
        await WaitForPeersAsync(gw, "gw-b", "gw-c");
        Assert.True(await Eventually.WaitForAsync(() => !Routes(gw).Contains("10.201.4.0/24", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Routes(gw));

        // gw-b is renumbered: the route follows.
        api.SetNode("gw-b", "shop", [site["b"].UnderlayV4, site["b"].UnderlayV6!], "10.201.12.0/24", "fd20:12::/64");
        Assert.True(await Eventually.WaitForAsync(() => Routes(gw).Contains("10.201.12.0/24 via 192.168.77.12", StringComparison.Ordinal) && !Routes(gw).Contains("10.201.2.0/24", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Routes(gw));

        // gw-c leaves the pool (a label change, seen live on the watch): withdrawn.
        api.SetNode("gw-c", "plant", [site["c"].UnderlayV4], site["c"].PodV4, site["c"].PodV6);
        await WaitForPeersAsync(gw, "gw-b");
    }

    [RootFact]
    public async Task Gateway_moved_to_another_pool_routes_to_that_pools_nodes_and_one_without_a_pool_label_waits_for_it()
    {
        await using var site = new NodePoolSite();
        site.ConnectHost();
        await using var api = await ApiServerDouble.StartAsync(NodePoolSite.HostAddress);
        api.HubHealthy = true;
        api.SetNode("plant-1", "plant", ["192.168.77.31"], "10.202.1.0/24");
        await site.StartClusterAsync(api);
        var gw = site["a"];
        await WaitForPeersAsync(gw, "gw-b", "gw-c");
        string[] addresses = [gw.UnderlayV4, gw.UnderlayV6!];

        // Moved to pool "plant" (seen live): the plant's node is routed, the shop's gateways go once plant is listed.
        api.SetNode("gw-a", "plant", addresses, gw.PodV4, gw.PodV6);
        await WaitForPeersAsync(gw, "plant-1");
        Assert.Contains("10.202.1.0/24 via 192.168.77.31", Routes(gw), StringComparison.Ordinal);

        // No pool label at all: nothing to watch, nothing withdrawn; the label comes back and the pool is watched again.
        api.SetNode("gw-a", null, addresses, gw.PodV4, gw.PodV6);
        Assert.True(await Eventually.WaitForAsync(() => gw.Daemon!.Log.Contains("has no apps.openyurt.io/nodepool label", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), gw.Daemon!.Log);
        await WaitForPeersAsync(gw, "plant-1");
        api.SetNode("gw-a", "shop", addresses, gw.PodV4, gw.PodV6);
        await WaitForPeersAsync(gw, "gw-b", "gw-c");
    }
}
