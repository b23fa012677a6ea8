using Yurtnet.Daemon.Ipam;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.Ipam;

public sealed class AllocationPlannerTests
{
    private static AllocateRequest Ask(IReadOnlyList<string>? subnets = null, IReadOnlyList<string>? requested = null, bool annotationsPassed = true, string? uid = null) => new()
    {
        ContainerId = "c1",
        IfName = "eth0",
        Network = "edge",
        Netns = "/run/netns/c1",
        Pod = new PodRef { Namespace = "shop", Name = "till", Uid = uid },
        Subnets = subnets ?? ["10.22.0.0/24"],
        RequestedIps = requested ?? [],
        PodAnnotationsPassed = annotationsPassed,
    };

    private static AllocationRequest Ready(AllocationPlan plan) => Assert.IsType<AllocationPlan.Ready>(plan).Request;

    [Fact]
    public void Conflist_subnets_are_the_pools_in_order_and_the_nodes_cidrs_are_not_used()
    {
        var request = Ready(AllocationPlanner.Plan(Ask(["fd00:22::/64", "10.22.0.0/24"]), ["10.244.3.0/24"], null));

        Assert.Equal(["fd00:22::/64", "10.22.0.0/24"], request.Pools.Select(p => p.Cidr));
        Assert.Equal(("c1", "eth0", "edge", "/run/netns/c1", "shop/till"), (request.ContainerId, request.IfName, request.Network, request.Netns, request.PodKey));
    }

    [Fact]
    public void Network_without_subnets_takes_the_nodes_pod_cidrs()
    {
        var request = Ready(AllocationPlanner.Plan(Ask([]), ["10.244.3.0/24", "fd00:244:3::/64"], null));

        Assert.Equal(["10.244.3.0/24", "fd00:244:3::/64"], request.Pools.Select(p => p.Cidr));
    }

    [Fact]
    public void Network_without_subnets_on_a_node_whose_cidrs_are_unknown_has_no_pool()
    {
        Assert.IsType<AllocationPlan.NoPool>(AllocationPlanner.Plan(Ask([]), [], null));
    }

    [Fact]
    public void Bad_subnet_or_requested_address_is_the_runtimes_error_not_the_pods()
    {
        var subnet = Assert.IsType<AllocationPlan.Invalid>(AllocationPlanner.Plan(Ask(["10.22.0.0/33"]), [], null));
        var address = Assert.IsType<AllocationPlan.Invalid>(AllocationPlanner.Plan(Ask(requested: ["10.22.0.x"]), [], null));

        Assert.StartsWith("ipam.subnets:", subnet.Message, StringComparison.Ordinal);
        Assert.StartsWith("requestedIps: \"10.22.0.x\" is not an IPv4 address in dotted decimal", address.Message, StringComparison.Ordinal);
        Assert.False(subnet.CountsAsFailure || address.CountsAsFailure);
    }

    [Fact]
    public void Annotation_seen_by_the_pod_watch_is_used_only_when_the_runtime_passed_no_annotations()
    {
        var seen = new PodSighting("uid-1", "10.22.0.40", Fresh: true);

        Assert.Equal(["10.22.0.40"], Ready(AllocationPlanner.Plan(Ask(annotationsPassed: false), [], seen)).RequestedIps.Select(ip => ip.ToString()));
        Assert.Empty(Ready(AllocationPlanner.Plan(Ask(annotationsPassed: true), [], seen)).RequestedIps);
        Assert.Equal(["10.22.0.40"], Ready(AllocationPlanner.Plan(Ask(requested: ["10.22.0.40"], annotationsPassed: false), [], seen)).RequestedIps.Select(ip => ip.ToString()));
    }

    [Fact]
    public void Another_source_that_disagrees_with_the_annotation_the_pod_watch_saw_is_refused_naming_both()
    {
        var seen = new PodSighting("uid-1", "10.22.0.40", Fresh: true);

        var refused = Assert.IsType<AllocationPlan.Invalid>(AllocationPlanner.Plan(Ask(requested: ["10.22.0.41"], annotationsPassed: false) with { RequestedFrom = "CNI_ARGS IP" }, [], seen));

        Assert.True(refused.CountsAsFailure);
        Assert.Contains("CNI_ARGS IP asks for 10.22.0.41, the pod annotation yurtnet.openyurt.io/ip (as the pod watch saw it) for 10.22.0.40", refused.Message, StringComparison.Ordinal);
        var dual = Ready(AllocationPlanner.Plan(Ask(["10.22.0.0/24", "fd00:22::/64"], requested: ["fd00:22::7"], annotationsPassed: false), [], seen));
        Assert.Equal(["fd00:22::7", "10.22.0.40"], dual.RequestedIps.Select(ip => ip.ToString()));
    }

    [Fact]
    public void Bad_annotation_seen_by_the_pod_watch_is_the_pods_error()
    {
        var invalid = Assert.IsType<AllocationPlan.Invalid>(AllocationPlanner.Plan(Ask(annotationsPassed: false), [], new PodSighting("uid-1", "ten", Fresh: true)));

        Assert.True(invalid.CountsAsFailure);
        Assert.Contains("(as the pod watch saw it)", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Uid_comes_from_the_runtime_else_only_from_a_view_the_live_server_confirmed()
    {
        Assert.Equal("from-runtime", Ready(AllocationPlanner.Plan(Ask(uid: "from-runtime"), [], new PodSighting("from-view", null, Fresh: true))).PodUid);
        Assert.Equal("from-view", Ready(AllocationPlanner.Plan(Ask(), [], new PodSighting("from-view", null, Fresh: true))).PodUid);
        Assert.Null(Ready(AllocationPlanner.Plan(Ask(), [], new PodSighting("from-cache", null, Fresh: false))).PodUid);
    }
}
