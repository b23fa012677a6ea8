namespace Yurtnet.Integration.Tests;

/// <summary>The ledclass backend of the real daemon, against a fake /sys/class/leds in a private mount namespace.</summary>
[Trait("requirement", "root")]
public sealed class LedClassTests
{
    [RootFact]
    public async Task Power_led_lights_uplink_led_goes_to_the_kernel_and_both_go_dark_on_stop()
    {
        await using var daemon = new DaemonProcess(", \"uplink\": \"eth0\", \"leds\": [ { \"name\": \"power\", \"role\": \"power\", \"backend\": \"ledclass\", \"led\": \"yn:green:power\" }, { \"name\": \"uplink\", \"role\": \"uplink\", \"backend\": \"ledclass\", \"led\": \"yn:amber:lan\" } ]");
        await daemon.StartWithFakeLedClassAsync(["yn:green:power", "yn:amber:lan"]);

        var power = "";
        for (var i = 0; i < 200 && (power = daemon.LedFile("yn:green:power", "brightness")) != "255"; i++)
        {
            await Task.Delay(25);
        }

        var trigger = daemon.LedFile("yn:amber:lan", "trigger");
        var device = daemon.LedFile("yn:amber:lan", "device_name");
        var link = daemon.LedFile("yn:amber:lan", "link");
        var lanBeforeStop = daemon.LedFile("yn:amber:lan", "trigger");
        await daemon.StopDaemonInNamespaceAsync();
        var dark = daemon.LedFile("yn:green:power", "brightness");
        var lanAfterStop = daemon.LedFile("yn:amber:lan", "trigger");

        Assert.Equal("255", power);
        Assert.Equal("netdev", trigger);
        Assert.Equal("netdev", lanBeforeStop);
        Assert.Equal("0", dark);
        Assert.Equal("none", lanAfterStop);
        Assert.Equal("eth0", device);
        Assert.Equal("1", link);
        Assert.Contains("LED power: Power on ledclass", daemon.Log, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task Led_that_the_sandbox_keeps_read_only_is_reported_with_the_drop_in_line_that_allows_it()
    {
        await using var daemon = new DaemonProcess(", \"leds\": [ { \"name\": \"power\", \"role\": \"power\", \"backend\": \"ledclass\", \"led\": \"yn:green:power\" } ]");
        await daemon.StartWithFakeLedClassAsync(["yn:green:power"], readOnly: true);

        await daemon.WaitForLogAsync("LED power not used", TimeSpan.FromSeconds(2));

        var status = daemon.Ctl("status");

        Assert.Contains("LED class device /sys/class/leds/yn:green:power is read-only for yurtnetd", daemon.Log, StringComparison.Ordinal);
        Assert.Contains("`ReadWritePaths=-/sys/class/devices/ledctl`", daemon.Log, StringComparison.Ordinal);
        Assert.Contains("power (power, ledclass): not available: LED class device /sys/class/leds/yn:green:power is read-only", status.Output, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task Uplink_led_without_the_kernels_netdev_trigger_says_which_module_to_load()
    {
        await using var daemon = new DaemonProcess(", \"uplink\": \"eth0\", \"leds\": [ { \"name\": \"uplink\", \"role\": \"uplink\", \"backend\": \"ledclass\", \"led\": \"yn:amber:lan\" } ]");
        await daemon.StartWithFakeLedClassAsync(["yn:amber:lan"], triggers: "[none] timer heartbeat");
        await daemon.WaitForLogAsync("LED uplink not used", TimeSpan.FromSeconds(2));

        Assert.Contains("the kernel has no netdev LED trigger", daemon.Log, StringComparison.Ordinal);
        Assert.Contains("modprobe ledtrig-netdev", daemon.Log, StringComparison.Ordinal);
        Assert.Equal("[none] timer heartbeat", daemon.LedFile("yn:amber:lan", "trigger"));
    }
}
