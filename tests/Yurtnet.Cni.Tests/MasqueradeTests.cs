using System.Net;
using Yurtnet.HostNetwork;

namespace Yurtnet.Cni.Tests;

public sealed class MasqueradeTests
{
    [Fact]
    public void Masquerade_script_exempts_the_subnet_multicast_and_the_daemons_exemption_set_per_family()
    {
        var script = Masquerade.InstallScript("net_x", [IPNetwork.Parse("10.22.0.0/16"), IPNetwork.Parse("fd00:22::/64")]);

        Assert.Contains("add chain inet yurtnet net_x { type nat hook postrouting priority srcnat; policy accept; }", script, StringComparison.Ordinal);
        Assert.Contains("flush chain inet yurtnet net_x", script, StringComparison.Ordinal);
        Assert.Contains("add set inet yurtnet nomasq4 { type ipv4_addr; flags interval; auto-merge; }", script, StringComparison.Ordinal);
        Assert.Contains("ip saddr 10.22.0.0/16 ip daddr != 10.22.0.0/16 ip daddr != 224.0.0.0/4 ip daddr != @nomasq4 masquerade", script, StringComparison.Ordinal);
        Assert.Contains("ip6 saddr fd00:22::/64 ip6 daddr != fd00:22::/64 ip6 daddr != ff00::/8 ip6 daddr != @nomasq6 masquerade", script, StringComparison.Ordinal);
    }
}
