using System.Net;
using System.Text.Json;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.PodStatus;

namespace Yurtnet.Daemon.Tests.PodStatus;

public sealed class NetworkStatusTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    internal static Lease L(string ip, string pod = "till", LeaseState state = LeaseState.Active, string ifName = "eth0", string network = "edge", string? mac = "0a:58:0a:16:00:05", string? uid = "uid-1", string container = "c1") => new()
    {
        Ip = IPAddress.Parse(ip),
        Pool = ip.Contains(':', StringComparison.Ordinal) ? "fd00:22::/64" : "10.22.0.0/24",
        Network = network,
        State = state,
        ContainerId = container,
        IfName = ifName,
        PodNamespace = "shop",
        PodName = pod,
        PodUid = uid,
        Mac = mac,
        Since = T0,
        BootId = "boot-1",
    };

    [Fact]
    public void Dual_stack_pod_is_one_default_entry_with_both_addresses_ipv4_first_and_its_mac()
    {
        var status = NetworkStatus.For([L("fd00:22::5"), L("10.22.0.5")]);

        Assert.Equal("""[{"name":"edge","interface":"eth0","ips":["10.22.0.5","fd00:22::5"],"mac":"0a:58:0a:16:00:05","default":true,"dns":{}}]""", status);
    }

    [Fact]
    public void Second_interface_is_its_own_entry_and_not_the_default()
    {
        using var doc = JsonDocument.Parse(NetworkStatus.For([L("10.22.0.5"), L("10.23.0.5", ifName: "net1", network: "cameras")])!);

        Assert.Equal(2, doc.RootElement.GetArrayLength());
        Assert.Equal("net1", doc.RootElement[1].GetProperty("interface").GetString());
        Assert.False(doc.RootElement[1].GetProperty("default").GetBoolean());
    }

    [Fact]
    public void Only_active_leases_are_reported_and_none_gives_no_status()
    {
        Assert.Null(NetworkStatus.For([L("10.22.0.5", state: LeaseState.Held), L("10.22.0.6", state: LeaseState.Pending)]));
        Assert.Null(NetworkStatus.For([]));
    }

    [Fact]
    public void Same_leases_in_any_order_give_the_same_text()
    {
        Assert.Equal(NetworkStatus.For([L("10.22.0.5"), L("fd00:22::5")]), NetworkStatus.For([L("fd00:22::5"), L("10.22.0.5")]));
    }
}
