using System.Device.Gpio;
using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Appliance.Leds;
using Yurtnet.Daemon.Tests.CniApi;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.Appliance.Leds;

public sealed class LedTests
{
    private static HealthInfo Health(bool alive = true, string uplink = "not configured", string cloud = "standalone", string store = "ok", int failures = 0) => new()
    {
        Uplink = uplink,
        Cloud = cloud,
        Store = store,
        Liveness = "",
        Alive = alive,
        RecentFailures = failures,
        SystemdWatchdog = "off",
        HardwareWatchdog = "not configured",
    };

    [Theory]
    [InlineData("Power", false, true, "SlowBlink")]
    [InlineData("Power", true, true, "On")]
    [InlineData("Power", true, false, "FastBlink")]
    [InlineData("Fault", true, false, "On")]
    [InlineData("Fault", true, true, "Off")]
    [InlineData("Fault", false, false, "Off")]
    [InlineData("Activity", true, true, "Flash")]
    public void Power_fault_and_activity_follow_the_legend(string role, bool serving, bool alive, string expected)
    {
        Assert.Equal(Enum.Parse<LedPattern>(expected), LedPatterns.For(Enum.Parse<LedRole>(role), serving, Health(alive)));
    }

    [Theory]
    [InlineData("up", "On")]
    [InlineData("down", "Off")]
    [InlineData("missing", "Off")]
    public void Uplink_led_is_on_with_carrier(string uplink, string expected)
    {
        Assert.Equal(Enum.Parse<LedPattern>(expected), LedPatterns.For(LedRole.Uplink, true, Health(uplink: uplink)));
    }

    [Theory]
    [InlineData("online", "On")]
    [InlineData("offline", "SlowBlink")]
    [InlineData("unknown", "FastBlink")]
    [InlineData("standalone", "Off")]
    public void Cloud_led_shows_the_cloud_link(string cloud, string expected)
    {
        Assert.Equal(Enum.Parse<LedPattern>(expected), LedPatterns.For(LedRole.Cloud, true, Health(cloud: cloud)));
    }

    [Fact]
    public void Fault_led_lights_for_a_store_problem_or_recent_failures()
    {
        Assert.Equal(LedPattern.On, LedPatterns.For(LedRole.Fault, true, Health(store: "not writable")));
        Assert.Equal(LedPattern.On, LedPatterns.For(LedRole.Fault, true, Health(failures: 1)));
    }

    [Fact]
    public void Blink_phases_and_the_activity_flash()
    {
        Assert.True(LedPatterns.IsLit(LedPattern.SlowBlink, 10_200, -1));
        Assert.False(LedPatterns.IsLit(LedPattern.SlowBlink, 10_700, -1));
        Assert.True(LedPatterns.IsLit(LedPattern.FastBlink, 10_100, -1));
        Assert.False(LedPatterns.IsLit(LedPattern.FastBlink, 10_200, -1));
        Assert.False(LedPatterns.IsLit(LedPattern.Flash, 10_000, -1));
        Assert.True(LedPatterns.IsLit(LedPattern.Flash, 10_050, 10_000));
        Assert.False(LedPatterns.IsLit(LedPattern.Flash, 10_100, 10_000));
    }

    [Fact]
    public void Gpio_led_writes_its_line_and_honours_active_low()
    {
        var driver = new RecordingGpioDriver();
        using var high = new GpioLedBackend(driver, 5, activeLow: false);
        using var low = new GpioLedBackend(new RecordingGpioDriver(), 6, activeLow: true);

        high.Set(true);
        high.Set(false);

        Assert.Equal([(5, PinValue.Low), (5, PinValue.High), (5, PinValue.Low)], driver.Writes);
    }

    [Fact]
    public void Active_low_led_is_driven_low_to_light()
    {
        var driver = new RecordingGpioDriver();
        using var led = new GpioLedBackend(driver, 6, activeLow: true);

        led.Set(true);

        Assert.Equal([(6, PinValue.High), (6, PinValue.Low)], driver.Writes);
    }

    [Fact]
    public void Led_on_an_mcp23017_expander_drives_its_pin_through_the_port_register()
    {
        var i2c = new RecordingI2cDevice(0x20);
        using var led = new GpioLedBackend(GpioLedBackend.Expander("mcp23017", i2c), 3, activeLow: false);
        var opened = i2c.Writes.Count;

        led.Set(true);
        var lit = i2c.Writes.Skip(opened).ToList();
        led.Set(false);

        // GPIOA (0x12) drives port A's output latch: bit 3 set to light, cleared to darken.
        Assert.Equal([(0x12, 0x08)], lit.Select(w => ((int)w.Register, (int)w.Value)));
        Assert.Equal([(0x12, 0x00)], i2c.Writes.Skip(opened + lit.Count).Select(w => ((int)w.Register, (int)w.Value)));
        // IODIRA (0x00): pin 3 made an output when the LED was opened.
        Assert.Contains(i2c.Writes.Take(opened), w => w.Register == 0x00 && (w.Value & 0x08) == 0);
    }

    [Fact]
    public async Task One_scheduler_drives_every_led_writes_only_changes_and_switches_off_on_stop()
    {
        var power = new RecordingGpioDriver();
        var activity = new RecordingGpioDriver();
        var drivers = new Dictionary<string, RecordingGpioDriver> { ["power"] = power, ["activity"] = activity };
        await using var daemon = new DaemonHarness(o => o with
        {
            Appliance = o.Appliance with { Leds = [new LedOptions { Name = "power", Role = LedRole.Power, Backend = "gpio", Line = 1 }, new LedOptions { Name = "activity", Role = LedRole.Activity, Backend = "gpio", Line = 2 }] },
        });
        using var blinker = new LedBlinker(daemon.Options.Appliance, led => new GpioLedBackend(drivers[led.Name], led.Line, led.ActiveLow), daemon.Health, daemon.Time, NullLogger<LedBlinker>.Instance);
        blinker.OpenAll();

        blinker.Step(1_000);
        blinker.Step(1_100);
        blinker.Step(1_600);
        Assert.Equal([PinValue.Low, PinValue.High, PinValue.Low], power.Writes.Select(w => w.Value));

        await daemon.StartAsync();
        daemon.Health.SetLiveness(new LivenessReport(true, "ready"));
        var now = daemon.Time.GetUtcNow().ToUnixTimeMilliseconds();
        daemon.Health.RecordActivity();
        blinker.Step(now + 10);
        blinker.Step(now + 20);
        blinker.Step(now + 200);
        await blinker.StopAsync(CancellationToken.None);

        Assert.Equal(PinValue.High, power.Writes[3].Value);
        // Opened dark; one flash; dark again; switched off at stop.
        Assert.Equal([PinValue.Low, PinValue.High, PinValue.Low, PinValue.Low], activity.Writes.Select(w => w.Value));
        Assert.Equal(PinValue.Low, power.Writes[^1].Value);
    }

    [Fact]
    public async Task Led_test_lights_one_led_alone_then_every_led_returns_to_its_pattern()
    {
        var power = new RecordingGpioDriver();
        var fault = new RecordingGpioDriver();
        var drivers = new Dictionary<string, RecordingGpioDriver> { ["power"] = power, ["fault"] = fault };
        await using var daemon = new DaemonHarness(o => o with { Appliance = o.Appliance with { Leds = [new LedOptions { Name = "power", Role = LedRole.Power, Backend = "gpio", Line = 1 }, new LedOptions { Name = "fault", Role = LedRole.Fault, Backend = "gpio", Line = 2 }] } });
        using var blinker = new LedBlinker(daemon.Options.Appliance, led => new GpioLedBackend(drivers[led.Name], led.Line, led.ActiveLow), daemon.Health, daemon.Time, NullLogger<LedBlinker>.Instance);
        blinker.OpenAll();
        daemon.Health.SetServing();
        daemon.Health.SetLiveness(new LivenessReport(true, "ready"));
        var now = daemon.Time.GetUtcNow().ToUnixTimeMilliseconds();
        blinker.Step(now);
        Assert.Equal(PinValue.High, power.Writes[^1].Value);

        var test = blinker.TestAsync("fault", TimeSpan.FromMilliseconds(300), CancellationToken.None);
        blinker.Step(now + 10);
        var during = (Power: power.Writes[^1].Value, Fault: fault.Writes[^1].Value);
        Assert.True(await test);
        blinker.Step(daemon.Time.GetUtcNow().ToUnixTimeMilliseconds() + 10);

        Assert.Equal((PinValue.Low, PinValue.High), during);
        Assert.Equal(PinValue.High, power.Writes[^1].Value);
        Assert.Equal(PinValue.Low, fault.Writes[^1].Value);
        Assert.False(await blinker.TestAsync("nope", TimeSpan.FromMilliseconds(1), CancellationToken.None));
    }

    [Fact]
    public async Task Led_test_request_is_answered_after_the_test_and_status_lists_every_led()
    {
        await using var daemon = new DaemonHarness(o => o with { Appliance = o.Appliance with { Leds = [new LedOptions { Name = "power", Role = LedRole.Power, Backend = "none" }, new LedOptions { Name = "fault", Role = LedRole.Fault, Backend = "none" }] } });
        await daemon.Leds.StartAsync(CancellationToken.None);
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));

        var tested = client.Send(new LedTestRequest { Name = "fault", Milliseconds = 100 }, TimeSpan.FromSeconds(10));
        var unknown = client.Send(new LedTestRequest { Name = "nope" }, TimeSpan.FromSeconds(10));
        var status = Assert.IsType<StatusResponse>(client.Send(new StatusRequest(), TimeSpan.FromSeconds(10)));
        await daemon.Leds.StopAsync(CancellationToken.None);

        Assert.Equal("fault", Assert.IsType<LedTestResponse>(tested).Name);
        Assert.Contains("no working LED named \"nope\"", Assert.IsType<ErrorResponse>(unknown).Message, StringComparison.Ordinal);
        Assert.Equal(["power", "fault"], status.Leds.Select(l => l.Name));
        Assert.Equal("none", status.Leds[0].Backend);
    }

    [Fact]
    public async Task Led_whose_hardware_cannot_be_opened_is_left_out_and_the_rest_run()
    {
        var ok = new RecordingGpioDriver();
        await using var daemon = new DaemonHarness(o => o with { Appliance = o.Appliance with { Leds = [new LedOptions { Name = "gone", Role = LedRole.Fault, Backend = "gpio", Line = 9 }, new LedOptions { Name = "fault", Role = LedRole.Fault, Backend = "gpio", Line = 3 }] } });
        using var blinker = new LedBlinker(daemon.Options.Appliance, led => led.Name == "gone" ? throw new IOException("GPIO chip \"0\" line 9: no such chip") : new GpioLedBackend(ok, led.Line, false), daemon.Health, daemon.Time, NullLogger<LedBlinker>.Instance);

        blinker.OpenAll();
        blinker.Step(0);

        Assert.Equal([(3, PinValue.Low)], ok.Writes);
        var described = blinker.Describe();
        Assert.Equal("not available: GPIO chip \"0\" line 9: no such chip", described[0].State);
        Assert.Equal("off", described[1].State);
    }

    [Fact]
    public async Task Led_whose_driver_arrives_after_the_start_is_opened_by_a_retry_and_then_driven()
    {
        var late = new RecordingGpioDriver();
        var driverLoaded = false;
        var attempts = 0;
        await using var daemon = new DaemonHarness(o => o with { Appliance = o.Appliance with { Leds = [new LedOptions { Name = "power", Role = LedRole.Power, Backend = "gpio", Line = 4 }] } });
        using var blinker = new LedBlinker(daemon.Options.Appliance, led =>
        {
            attempts++;
            return driverLoaded ? new GpioLedBackend(late, led.Line, false) : throw new IOException("GPIO chip \"leds\" line 4: no such chip");
        }, daemon.Health, daemon.Time, NullLogger<LedBlinker>.Instance);
        daemon.Health.SetServing();
        daemon.Health.SetLiveness(new LivenessReport(true, "ready"));
        var start = daemon.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var retry = (long)LedBlinker.RetryInterval.TotalMilliseconds;

        blinker.OpenAll();
        blinker.Step(start + retry - 1);
        var attemptsBeforeTheInterval = attempts;
        var stateBefore = blinker.Describe()[0].State;
        driverLoaded = true;
        blinker.Step(start + retry);
        blinker.Step(start + retry + 50);

        Assert.Equal(1, attemptsBeforeTheInterval);
        Assert.StartsWith("not available: GPIO chip", stateBefore, StringComparison.Ordinal);
        Assert.Equal(2, attempts);
        Assert.Equal("on", blinker.Describe()[0].State);
        // Opened dark, then lit by the legend (power on while serving and alive).
        Assert.Equal([(4, PinValue.Low), (4, PinValue.High)], late.Writes);
    }

    [Fact]
    public void Gpio_led_whose_line_cannot_be_had_lets_its_chip_go()
    {
        var chip = new RecordingGpioDriver { BusyLine = 7 };

        Assert.ThrowsAny<IOException>(() => new GpioLedBackend(chip, 7, activeLow: false));

        // The open is tried again every few seconds: a chip kept open on every failure would leak a descriptor each time.
        Assert.True(chip.Disposed);
    }
}
