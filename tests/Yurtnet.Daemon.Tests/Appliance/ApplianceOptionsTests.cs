using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Tests.Configuration;

namespace Yurtnet.Daemon.Tests.Appliance;

/// <summary>The <c>uplink</c> and <c>watchdog</c> keys.</summary>
public sealed class ApplianceOptionsTests
{
    [Fact]
    public void Watchdog_section_is_read_and_absent_means_no_hardware_watchdog()
    {
        Assert.Null(SettingsFile.Read(out _).Appliance.Watchdog);

        var options = SettingsFile.Read(out var problems, ("watchdog:device", "/dev/watchdog1"), ("watchdog:timeout", "20s"), ("watchdog:nowayout", "true"));

        Assert.Empty(problems);
        Assert.Equal(new WatchdogOptions { Device = "/dev/watchdog1", Timeout = TimeSpan.FromSeconds(20), NoWayOut = true }, options.Appliance.Watchdog);
    }

    [Theory]
    [InlineData("eth0", null)]
    [InlineData("a-name-that-is-too-long", "uplink:")]
    [InlineData("eth/0", "uplink:")]
    public void Uplink_must_be_an_interface_name(string uplink, string? problem)
    {
        var options = SettingsFile.Read(out var problems, ("uplink", uplink));

        if (problem is null)
        {
            Assert.Empty(problems);
            Assert.Equal(uplink, options.Appliance.Uplink);
        }
        else
        {
            Assert.Contains(problems, p => p.StartsWith(problem, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Bad_watchdog_keys_are_reported_with_their_section()
    {
        SettingsFile.Read(out var problems, ("watchdog:timeout", "1s"), ("watchdog:nowayout", "maybe"), ("watchdog:pet", "often"), ("watchdog:device", "watchdog"));

        Assert.Contains(problems, p => p.StartsWith("watchdog.timeout:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("watchdog.nowayout: \"maybe\" must be true or false", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("watchdog.pet: unknown key", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("watchdog.device: \"watchdog\" must be an absolute path", StringComparison.Ordinal));
    }
}
