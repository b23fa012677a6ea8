using Yurtnet.Daemon.Appliance.Leds;
using Yurtnet.Daemon.Tests.Configuration;

namespace Yurtnet.Daemon.Tests.Appliance.Leds;

/// <summary>The <c>leds</c> list, read through the whole settings file so the problems carry their full key.</summary>
public sealed class LedOptionsTests
{
    [Fact]
    public void Leds_are_read_from_the_list()
    {
        var options = SettingsFile.Read(out var problems, ("leds:0:name", "pwr"), ("leds:0:role", "power"), ("leds:0:backend", "gpio"), ("leds:0:chip", "pinctrl-bcm2711"), ("leds:0:line", "17"), ("leds:0:activeLow", "true"),
            ("leds:1:name", "spare"), ("leds:1:role", "fault"), ("leds:1:backend", "none"));

        Assert.Empty(problems);
        Assert.Equal(2, options.Appliance.Leds.Count);
        Assert.Equal(new LedOptions { Name = "pwr", Role = LedRole.Power, Backend = "gpio", Chip = "pinctrl-bcm2711", Line = 17, ActiveLow = true }, options.Appliance.Leds[0]);
    }

    [Fact]
    public void Gpio_line_may_be_given_by_name_with_or_without_a_chip()
    {
        var options = SettingsFile.Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "power"), ("leds:0:line", "LED_PWR"),
            ("leds:1:name", "b"), ("leds:1:role", "fault"), ("leds:1:chip", "gpio-sim.0-node0"), ("leds:1:line", "tb-led"));

        Assert.Empty(problems);
        Assert.Equal((null, "LED_PWR"), (options.Appliance.Leds[0].Chip, options.Appliance.Leds[0].LineName));
        Assert.Equal(("gpio-sim.0-node0", "tb-led"), (options.Appliance.Leds[1].Chip, options.Appliance.Leds[1].LineName));
    }

    [Fact]
    public void Gpio_line_name_longer_than_the_kernel_allows_is_refused()
    {
        SettingsFile.Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "power"), ("leds:0:line", new string('x', 32)));

        Assert.Contains(problems, p => p.StartsWith("leds[0].line:", StringComparison.Ordinal) && p.Contains("31 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void Expander_pin_must_be_a_number()
    {
        SettingsFile.Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "power"), ("leds:0:backend", "mcp23xxx"), ("leds:0:line", "LED_PWR"));

        Assert.Contains(problems, p => p.StartsWith("leds[0].line: \"LED_PWR\" must be the pin of the mcp23017 (0-15)", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_led_entries_are_reported_by_index_and_key()
    {
        SettingsFile.Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "disco"), ("leds:0:line", "3"),
            ("leds:1:name", "a"), ("leds:1:role", "power"), ("leds:1:backend", "gpio"),
            ("leds:2:name", "c"), ("leds:2:role", "cloud"), ("leds:2:backend", "mcp23xxx"), ("leds:2:model", "mcp9999"), ("leds:2:address", "0x50"), ("leds:2:line", "3"));

        Assert.Contains(problems, p => p.StartsWith("leds[0].role: \"disco\" must be one of", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("leds[1].line:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("leds[2].model: \"mcp9999\" must be mcp23017 or mcp23008", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("leds[2].address: \"0x50\" must be the expander's I2C address", StringComparison.Ordinal));
    }

    [Fact]
    public void Expander_led_reads_model_bus_and_hex_address()
    {
        var options = SettingsFile.Read(out var problems, ("leds:0:name", "x"), ("leds:0:role", "activity"), ("leds:0:backend", "mcp23xxx"), ("leds:0:model", "mcp23008"), ("leds:0:bus", "3"), ("leds:0:address", "0x21"), ("leds:0:line", "7"));

        Assert.Empty(problems);
        Assert.Equal(("mcp23008", 3, 0x21, 7), (options.Appliance.Leds[0].Model, options.Appliance.Leds[0].Bus, options.Appliance.Leds[0].Address, options.Appliance.Leds[0].Line));
    }

    [Fact]
    public void Two_leds_of_one_name_are_refused()
    {
        SettingsFile.Read(out var problems, ("leds:0:name", "a"), ("leds:0:role", "power"), ("leds:0:backend", "none"), ("leds:1:name", "a"), ("leds:1:role", "fault"), ("leds:1:backend", "none"));

        Assert.Contains("leds[1].name: \"a\" is used twice", problems);
    }
}
