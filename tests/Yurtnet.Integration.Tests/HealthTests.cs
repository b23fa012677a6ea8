using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>The health inputs of the real daemon, as yurtnetctl status shows them.</summary>
[Trait("requirement", "root")]
public sealed class HealthTests
{
    [RootFact]
    public async Task Uplink_carrier_follows_the_kernel_without_polling()
    {
        var uplink = $"ynup{Environment.ProcessId % 100000}";
        var peer = uplink + "p";
        Assert.Equal(0, TestNetns.Run("ip", "link", "add", uplink, "type", "veth", "peer", "name", peer).Code);
        try
        {
            await using var daemon = new DaemonProcess($", \"uplink\": \"{uplink}\"");
            await daemon.StartAgainAsync();
            Assert.Equal("down", await UplinkAsync(daemon, "down"));

            TestNetns.Run("ip", "link", "set", uplink, "up");
            TestNetns.Run("ip", "link", "set", peer, "up");
            Assert.Equal("up", await UplinkAsync(daemon, "up"));

            TestNetns.Run("ip", "link", "delete", uplink);
            Assert.Equal("missing", await UplinkAsync(daemon, "missing"));
            var status = daemon.Ctl("status").Output;
            Assert.Contains($"uplink    {uplink}: missing", status, StringComparison.Ordinal);
            Assert.Contains($"uplink {uplink}: up", daemon.Log, StringComparison.Ordinal);
        }
        finally
        {
            TestNetns.Run("ip", "link", "delete", uplink);
        }
    }

    private static async Task<string> UplinkAsync(DaemonProcess daemon, string expected)
    {
        var state = "";
        for (var i = 0; i < 100; i++)
        {
            state = daemon.Ask<StatusResponse>(new StatusRequest()).Health!.Uplink;
            if (state == expected)
            {
                break;
            }

            await Task.Delay(50);
        }

        return state;
    }
}
