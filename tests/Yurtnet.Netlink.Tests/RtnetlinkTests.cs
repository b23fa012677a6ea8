using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Netlink.Tests;

[Trait("requirement", "root")]
public sealed class RtnetlinkTests : IDisposable
{
    // Two fresh namespaces per test: "host" plays the gateway's host namespace, "pod" the sandbox.
    private readonly TestNetns _host = new("ynl-h");
    private readonly TestNetns _pod = new("ynl-p");

    [RootFact]
    public void Bridge_is_created_once_with_its_fixed_mac()
    {
        using var hostNs = NetworkNamespace.Open(_host.Path);
        using var host = hostNs.OpenRouteSocket();
        byte[] mac = [0x02, 1, 2, 3, 4, 5];

        Assert.True(host.TryCreateBridge("br-test", mac, 1400));
        Assert.False(host.TryCreateBridge("br-test", mac, 1400));

        var bridge = host.GetLink("br-test");
        Assert.Equal("bridge", bridge.Kind);
        Assert.Equal("02:01:02:03:04:05", bridge.Mac);
        Assert.Equal(1400, bridge.Mtu);
    }

    [RootFact]
    public void Veth_is_created_in_the_pod_with_its_peer_directly_in_the_host()
    {
        using var hostNs = NetworkNamespace.Open(_host.Path);
        using var podNs = NetworkNamespace.Open(_pod.Path);
        using var host = hostNs.OpenRouteSocket();
        using var pod = podNs.OpenRouteSocket();

        pod.CreateVethPair("eth0", "yn-peer", hostNs, 1450);

        Assert.Equal("veth", pod.GetLink("eth0").Kind);
        Assert.Equal(1450, host.GetLink("yn-peer").Mtu);
        Assert.False(pod.TryGetLink("yn-peer", out _));
        Assert.False(host.TryGetLink("eth0", out _));
    }

    [RootFact]
    public void Addresses_routes_and_bridge_ports_are_configured_and_listed()
    {
        using var hostNs = NetworkNamespace.Open(_host.Path);
        using var podNs = NetworkNamespace.Open(_pod.Path);
        using var host = hostNs.OpenRouteSocket();
        using var pod = podNs.OpenRouteSocket();
        host.TryCreateBridge("br-test", [0x02, 0, 0, 0, 0, 9], 1500);
        var bridge = host.GetLink("br-test");
        pod.CreateVethPair("eth0", "yn-peer", hostNs, 1500);
        var peer = host.GetLink("yn-peer");
        host.SetLinkUp(peer, bridge.Index);
        host.SetHairpin(peer, on: true);
        host.AddAddress(bridge, IPAddress.Parse("10.250.0.1"), 24);
        host.SetLinkUp(bridge);
        var eth0 = pod.GetLink("eth0");

        pod.AddAddress(eth0, IPAddress.Parse("10.250.0.5"), 24);
        pod.AddAddress(eth0, IPAddress.Parse("10.250.0.5"), 24);
        pod.AddAddress(eth0, IPAddress.Parse("fd00:250::5"), 64);
        pod.SetLinkUp(eth0);
        Assert.True(pod.TryAddRoute(new IPNetwork(IPAddress.Any, 0), IPAddress.Parse("10.250.0.1"), eth0));
        Assert.False(pod.TryAddRoute(new IPNetwork(IPAddress.Any, 0), IPAddress.Parse("10.250.0.1"), eth0));

        Assert.Equal(bridge.Index, host.GetLink("yn-peer").MasterIndex);
        Assert.Contains("hairpin on", TestNetns.Run("ip", "-n", _host.Name, "-d", "link", "show", "yn-peer").Output, StringComparison.Ordinal);
        var addresses = pod.ListAddresses(eth0.Index).Select(a => a.ToString()).ToList();
        Assert.Contains("10.250.0.5/24", addresses);
        Assert.Contains("fd00:250::5/64", addresses);
        Assert.Contains(pod.ListRoutes(AddressFamily.InterNetwork), r => r.Destination.PrefixLength == 0 && IPAddress.Parse("10.250.0.1").Equals(r.Gateway));
        Assert.Equal(0, _pod.Exec("ping", "-c1", "-W2", "10.250.0.1").Code);
    }

    [RootFact]
    public void Address_is_removed_from_its_interface_and_removing_one_it_does_not_have_is_already_gone()
    {
        using var hostNs = NetworkNamespace.Open(_host.Path);
        using var podNs = NetworkNamespace.Open(_pod.Path);
        using var pod = podNs.OpenRouteSocket();
        pod.CreateVethPair("eth0", "yn-peer", hostNs, 1500);
        var eth0 = pod.GetLink("eth0");
        pod.AddAddress(eth0, IPAddress.Parse("10.250.0.5"), 24);
        pod.AddAddress(eth0, IPAddress.Parse("10.251.0.5"), 24);
        pod.AddAddress(eth0, IPAddress.Parse("fd00:250::5"), 64);

        Assert.True(pod.TryDeleteAddress(eth0, IPAddress.Parse("10.251.0.5"), 24));
        Assert.True(pod.TryDeleteAddress(eth0, IPAddress.Parse("fd00:250::5"), 64));
        Assert.False(pod.TryDeleteAddress(eth0, IPAddress.Parse("10.251.0.5"), 24));

        Assert.Equal(["10.250.0.5/24"], pod.ListAddresses(eth0.Index).Where(a => !a.Address.IsIPv6LinkLocal).Select(a => a.ToString()));
    }

    [RootFact]
    public void Deleting_a_missing_link_is_a_typed_already_gone_outcome()
    {
        using var hostNs = NetworkNamespace.Open(_host.Path);
        using var host = hostNs.OpenRouteSocket();

        Assert.False(host.TryDeleteLink("nothing-here"));
        var ex = Assert.Throws<NetlinkException>(() => host.GetLink("nothing-here"));
        Assert.True(ex.IsNotFound);
    }

    [RootFact]
    public void Errors_name_the_operation_object_and_errno()
    {
        using var podNs = NetworkNamespace.Open(_pod.Path);
        using var hostNs = NetworkNamespace.Open(_host.Path);
        using var pod = podNs.OpenRouteSocket();
        pod.CreateVethPair("eth0", "yn-peer", hostNs, 1500);

        var ex = Assert.Throws<NetlinkException>(() => pod.CreateVethPair("eth0", "yn-other", hostNs, 1500));

        Assert.True(ex.IsAlreadyExists);
        Assert.Contains("RTM_NEWLINK veth \"eth0\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"netns {_pod.Path}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("EEXIST (17, File exists)", ex.Message, StringComparison.Ordinal);
    }

    [RootFact]
    public void Missing_namespace_is_reported_as_not_found()
    {
        var ex = Assert.Throws<NetlinkException>(() => NetworkNamespace.Open("/run/netns/does-not-exist-yurtnet"));

        Assert.True(ex.IsNotFound);
        Assert.Contains("/run/netns/does-not-exist-yurtnet", ex.Message, StringComparison.Ordinal);
    }

    [RootFact]
    public void Entering_a_namespace_leaves_the_calling_thread_where_it_was()
    {
        var before = new FileInfo("/proc/thread-self/ns/net").LinkTarget;
        using var podNs = NetworkNamespace.Open(_pod.Path);

        var inside = podNs.Run(() => new FileInfo("/proc/thread-self/ns/net").LinkTarget);

        Assert.NotEqual(before, inside);
        Assert.Equal(before, new FileInfo("/proc/thread-self/ns/net").LinkTarget);
    }

    public void Dispose()
    {
        _pod.Dispose();
        _host.Dispose();
    }
}
