using System.Net;

namespace Yurtnet.Cni.Tests;

public sealed class PodPlumbingRoutesTests
{
    private static readonly PodAddress V4 = new(IPAddress.Parse("10.22.0.5"), 16, IPAddress.Parse("10.22.0.1"), IPNetwork.Parse("10.22.0.0/16"));
    private static readonly PodAddress V6 = new(IPAddress.Parse("fd00:22::5"), 64, IPAddress.Parse("fd00:22::1"), IPNetwork.Parse("fd00:22::/64"));

    [Fact]
    public void Default_gateway_gives_a_default_route_per_family()
    {
        var routes = PodPlumbing.Routes(new NetConf { CniVersion = "1.0.0", Name = "n" }, [V4, V6]);

        Assert.Equal(["0.0.0.0/0 via 10.22.0.1", "::/0 via fd00:22::1"], routes.Select(r => $"{r.Destination} via {r.Gateway}"));
    }

    [Fact]
    public void Ipam_routes_use_the_family_gateway_unless_given_and_skip_families_without_an_address()
    {
        var conf = new NetConf
        {
            CniVersion = "1.0.0",
            Name = "n",
            IsDefaultGateway = false,
            Routes = [new(IPNetwork.Parse("192.168.0.0/16"), null), new(IPNetwork.Parse("fd00:99::/64"), null)],
        };

        var routes = PodPlumbing.Routes(conf, [V4]);

        Assert.Equal("192.168.0.0/16 via 10.22.0.1", $"{Assert.Single(routes).Destination} via {routes[0].Gateway}");
    }
}
