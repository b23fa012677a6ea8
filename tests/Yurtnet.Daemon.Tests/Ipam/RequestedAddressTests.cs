using System.Net;
using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.Tests.Ipam;

/// <summary>The pod annotation yurtnet.openyurt.io/ip: granted when free or held for the same pod, else refused with the reason.</summary>
public sealed class RequestedAddressTests
{
    private const string Boot = "boot-1";
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] Pools = ["10.22.0.0/24", "fd00:22::/64"];

    private static AllocationRequest Req(string container, string pod, params string[] requested) => new()
    {
        ContainerId = container,
        IfName = "eth0",
        Network = "edge",
        PodNamespace = "shop",
        PodName = pod,
        Pools = Pools.Select(c => Pool.TryParse(c, out var p, out _) ? p : throw new ArgumentException(c)).ToList(),
        RequestedIps = requested.Select(IPAddress.Parse).ToList(),
    };

    private static AllocationOutcome Allocate(LeaseTable table, AllocationRequest request)
    {
        var outcome = LeaseAllocator.Allocate(table, request, T0, Boot);
        if (outcome is AllocationOutcome.Allocated allocated)
        {
            table.Apply(allocated.Changes);
            table.Apply(LeaseAllocator.Commit(table, request.ContainerId, request.IfName, null, T0, Boot)!);
        }

        return outcome;
    }

    [Fact]
    public void Free_requested_addresses_are_given_in_both_families()
    {
        var outcome = Assert.IsType<AllocationOutcome.Allocated>(Allocate(new LeaseTable(), Req("c1", "till", "10.22.0.40", "fd00:22::40")));

        Assert.Equal(["10.22.0.40", "fd00:22::40"], outcome.Leases.Select(l => l.Ip.ToString()));
    }

    [Fact]
    public void Only_the_family_asked_for_is_fixed_the_other_is_allocated_as_usual()
    {
        var outcome = Assert.IsType<AllocationOutcome.Allocated>(Allocate(new LeaseTable(), Req("c1", "till", "10.22.0.40")));

        Assert.Equal(["10.22.0.40", "fd00:22::2"], outcome.Leases.Select(l => l.Ip.ToString()));
    }

    [Fact]
    public void Address_held_for_the_same_pod_is_given_back()
    {
        var table = new LeaseTable();
        Allocate(table, Req("c1", "till", "10.22.0.40"));
        table.Apply(LeaseAllocator.Release(table, "c1", "eth0", "edge", rollback: false, T0, TimeSpan.FromMinutes(10)).Changes);

        var again = Assert.IsType<AllocationOutcome.Allocated>(Allocate(table, Req("c2", "till", "10.22.0.40")));

        Assert.Contains(again.Leases, l => l.Ip.ToString() == "10.22.0.40" && l.ContainerId == "c2");
    }

    [Theory]
    [InlineData("10.22.0.40", "requested address 10.22.0.40 is in use by pod shop/till (active)")]
    [InlineData("10.23.0.5", "requested address 10.23.0.5 is not in the network's pools (10.22.0.0/24)")]
    [InlineData("10.22.0.1", "requested address 10.22.0.1 is reserved in 10.22.0.0/24")]
    [InlineData("10.22.0.255", "requested address 10.22.0.255 is reserved in 10.22.0.0/24")]
    public void Address_that_cannot_be_given_is_refused_with_the_reason(string requested, string reason)
    {
        var table = new LeaseTable();
        Allocate(table, Req("c1", "till", "10.22.0.40"));

        var refused = Assert.IsType<AllocationOutcome.Refused>(Allocate(table, Req("c2", "scale", requested)));

        Assert.StartsWith(reason, refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Address_held_for_another_pod_is_refused_not_taken()
    {
        var table = new LeaseTable();
        Allocate(table, Req("c1", "till", "10.22.0.40"));
        table.Apply(LeaseAllocator.Release(table, "c1", "eth0", "edge", rollback: false, T0, TimeSpan.FromMinutes(10)).Changes);

        var refused = Assert.IsType<AllocationOutcome.Refused>(Allocate(table, Req("c2", "scale", "10.22.0.40")));

        Assert.Equal("requested address 10.22.0.40 is in use by pod shop/till (held)", refused.Reason);
    }

    [Fact]
    public void Address_of_a_family_the_network_has_no_pool_for_is_refused()
    {
        var request = Req("c1", "till", "fd00:99::5") with { Pools = [Pool.TryParse("10.22.0.0/24", out var p, out _) ? p : null!] };

        var refused = Assert.IsType<AllocationOutcome.Refused>(LeaseAllocator.Allocate(new LeaseTable(), request, T0, Boot));

        Assert.Equal("requested address fd00:99::5: the network has no IPv6 pool (10.22.0.0/24)", refused.Reason);
    }

    [Fact]
    public void Repeated_add_keeps_the_requested_address_without_refusing_itself()
    {
        var table = new LeaseTable();
        Allocate(table, Req("c1", "till", "10.22.0.40"));

        var again = Assert.IsType<AllocationOutcome.Allocated>(Allocate(table, Req("c1", "till", "10.22.0.40")));

        Assert.True(again.Existing);
    }

    [Fact]
    public void A_local_container_and_a_kubernetes_pod_of_the_same_key_never_share_a_held_address()
    {
        var table = new LeaseTable();
        var local = Req("c1", "web", "10.22.0.40") with { PodNamespace = "local", PodLocal = true };
        Allocate(table, local);
        table.Apply(LeaseAllocator.Release(table, "c1", "eth0", "edge", rollback: false, T0, TimeSpan.FromMinutes(10)).Changes);

        var kubernetes = Req("c2", "web", "10.22.0.40") with { PodNamespace = "local" };
        var refused = Assert.IsType<AllocationOutcome.Refused>(Allocate(table, kubernetes));
        Assert.Contains("in use by container local/web (held)", refused.Reason, StringComparison.Ordinal);
        var sticky = Assert.IsType<AllocationOutcome.Allocated>(Allocate(table, Req("c3", "web") with { PodNamespace = "local" }));
        Assert.NotEqual("10.22.0.40", sticky.Leases[0].Ip.ToString());

        var back = Assert.IsType<AllocationOutcome.Allocated>(Allocate(table, Req("c4", "web") with { PodNamespace = "local", PodLocal = true }));
        Assert.Equal("10.22.0.40", back.Leases[0].Ip.ToString());
        Assert.True(back.Leases[0].PodLocal);
    }

    [Fact]
    public void A_requested_mac_another_attachment_of_the_network_has_is_refused_naming_it_and_a_free_one_is_recorded()
    {
        var table = new LeaseTable();
        var first = Assert.IsType<AllocationOutcome.Allocated>(Allocate(table, Req("c1", "web") with { RequestedMac = "02:42:0a:62:00:32" }));
        Assert.Equal("02:42:0a:62:00:32", first.Leases[0].Mac);

        var refused = Assert.IsType<AllocationOutcome.Refused>(Allocate(table, Req("c2", "db") with { RequestedMac = "02:42:0A:62:00:32" }));

        Assert.False(refused.OfAddress);
        Assert.Contains("requested MAC 02:42:0A:62:00:32 is in use on network \"edge\" by pod shop/web (active)", refused.Reason, StringComparison.Ordinal);
        Assert.IsType<AllocationOutcome.Allocated>(Allocate(table, Req("c1", "web") with { RequestedMac = "02:42:0a:62:00:32" }));
    }
}
