using System.Net;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.Ipam;
using static Yurtnet.Daemon.Tests.PodStatus.NetworkStatusTests;

namespace Yurtnet.Daemon.Tests.Cluster;

public sealed class GcVerdictTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);
    private static readonly Dictionary<string, PodFacts> NoPods = [];

    private static List<Lease> Run(List<Lease> leases, IReadOnlyDictionary<string, PodFacts> pods, Dictionary<IPAddress, (Lease, DateTimeOffset)> missing, bool online = true, bool fresh = true, params TimeSpan[] after)
    {
        List<Lease> due = [];
        foreach (var at in after)
        {
            due = GcVerdict.Due(leases, pods, online, fresh, missing, T0 + at, Grace);
        }

        return due;
    }

    [Fact]
    public void Pod_missing_from_a_fresh_online_view_for_the_grace_period_is_due()
    {
        var missing = new Dictionary<IPAddress, (Lease, DateTimeOffset)>();
        var lease = L("10.22.0.5", state: LeaseState.Held);

        Assert.Empty(Run([lease], NoPods, missing, after: [TimeSpan.Zero, TimeSpan.FromMinutes(4)]));
        Assert.Equal([lease], Run([lease], NoPods, missing, after: TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Offline_or_stale_view_releases_nothing_and_restarts_the_clock()
    {
        var missing = new Dictionary<IPAddress, (Lease, DateTimeOffset)>();
        var lease = L("10.22.0.5");

        Run([lease], NoPods, missing, after: TimeSpan.Zero);
        Assert.Empty(Run([lease], NoPods, missing, online: false, after: TimeSpan.FromMinutes(10)));
        Assert.Empty(Run([lease], NoPods, missing, fresh: false, after: TimeSpan.FromMinutes(11)));
        Assert.Empty(Run([lease], NoPods, missing, after: [TimeSpan.FromMinutes(12), TimeSpan.FromMinutes(16)]));
        Assert.Single(Run([lease], NoPods, missing, after: TimeSpan.FromMinutes(17)));
    }

    [Fact]
    public void Pod_present_with_the_same_uid_is_never_due_and_with_another_uid_it_is()
    {
        var lease = L("10.22.0.5");
        var same = new Dictionary<string, PodFacts> { ["shop/till"] = new("shop/till", "uid-1", null, null) };
        var replaced = new Dictionary<string, PodFacts> { ["shop/till"] = new("shop/till", "uid-2", null, null) };

        Assert.Empty(Run([lease], same, [], after: [TimeSpan.Zero, TimeSpan.FromHours(1)]));
        Assert.Single(Run([lease], replaced, [], after: [TimeSpan.Zero, TimeSpan.FromHours(1)]));
    }

    [Fact]
    public void Pod_back_within_the_grace_period_or_its_lease_re_added_restarts_the_clock()
    {
        var missing = new Dictionary<IPAddress, (Lease, DateTimeOffset)>();
        var held = L("10.22.0.5", state: LeaseState.Held);
        var back = new Dictionary<string, PodFacts> { ["shop/till"] = new("shop/till", "uid-1", null, null) };

        Run([held], NoPods, missing, after: TimeSpan.Zero);
        Run([held], back, missing, after: TimeSpan.FromMinutes(3));
        Assert.Empty(Run([held], NoPods, missing, after: TimeSpan.FromMinutes(6)));

        var readded = held with { State = LeaseState.Active, ContainerId = "c2" };
        Assert.Empty(Run([readded], NoPods, missing, after: TimeSpan.FromMinutes(12)));
    }

    [Fact]
    public void Pending_and_unnamed_leases_are_not_cluster_gc_business()
    {
        var pending = L("10.22.0.5", state: LeaseState.Pending);
        var unnamed = L("10.22.0.6") with { PodName = null, PodNamespace = null };

        Assert.Empty(GcVerdict.Orphans([pending, unnamed], NoPods));
    }

    [Fact]
    public void A_local_containers_lease_is_never_missed_by_cluster_gc()
    {
        var missing = new Dictionary<IPAddress, (Lease, DateTimeOffset)>();
        var lease = L("10.22.0.5", state: LeaseState.Held) with { PodLocal = true };

        Assert.Empty(Run([lease], NoPods, missing, after: [TimeSpan.Zero, TimeSpan.FromMinutes(5), TimeSpan.FromHours(1)]));
        Assert.Empty(GcVerdict.Orphans([lease], NoPods));
    }
}
