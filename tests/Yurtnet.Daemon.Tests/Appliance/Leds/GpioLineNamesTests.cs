using System.Diagnostics;
using System.Runtime.InteropServices;
using Yurtnet.Daemon.Appliance.Leds;

namespace Yurtnet.Daemon.Tests.Appliance.Leds;

public sealed class GpioLineNamesTests
{
    private static readonly GpioChipLines Soc = new(0, "gpiochip0", "pinctrl-bcm2711", ["ID_SDA", "ID_SCL", "", "LED_PWR", "STATUS"]);
    private static readonly GpioChipLines Sim = new(3, "gpiochip3", "gpio-sim.0-node0", ["tb-led", "", "STATUS"]);

    [Fact]
    public void Name_found_on_exactly_one_chip_gives_that_chip_and_offset()
    {
        Assert.Equal((0, 3), GpioLineNames.Find([Soc, Sim], "LED_PWR", chip: null));
        Assert.Equal((3, 0), GpioLineNames.Find([Soc, Sim], "tb-led", chip: null));
    }

    [Theory]
    [InlineData("pinctrl-bcm2711", 0, 4)]
    [InlineData("gpiochip3", 3, 2)]
    [InlineData("3", 3, 2)]
    public void Chip_restricts_the_search_by_label_name_or_number(string chip, int expectedChip, int expectedOffset)
    {
        Assert.Equal((expectedChip, expectedOffset), GpioLineNames.Find([Soc, Sim], "STATUS", chip));
    }

    [Fact]
    public void Name_on_two_chips_without_a_chip_is_refused_naming_both()
    {
        var error = Assert.Throws<IOException>(() => GpioLineNames.Find([Soc, Sim], "STATUS", chip: null));

        Assert.Equal("GPIO line name \"STATUS\" is not unique (gpiochip0 line 4, gpiochip3 line 2): set \"chip\" to the one that drives the LED", error.Message);
    }

    [Fact]
    public void Unknown_name_lists_the_named_lines_there_are()
    {
        var error = Assert.Throws<IOException>(() => GpioLineNames.Find([Soc, Sim], "LED_ACT", chip: "pinctrl-bcm2711"));

        Assert.Equal("no GPIO line named \"LED_ACT\" on gpiochip0 \"pinctrl-bcm2711\" (named lines: ID_SDA, ID_SCL, LED_PWR, STATUS)", error.Message);
    }

    [Fact]
    public void Unknown_name_on_a_chip_without_line_names_asks_for_the_number()
    {
        var error = Assert.Throws<IOException>(() => GpioLineNames.Find([new GpioChipLines(0, "gpiochip0", "9030000.pl061", ["", ""])], "LED", chip: null));

        Assert.Contains("its lines have no names: give the line's number instead", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_chip_and_a_system_without_chips_are_reported_as_such()
    {
        Assert.Equal("no GPIO chip \"expander\" (have: gpiochip0 \"pinctrl-bcm2711\", gpiochip3 \"gpio-sim.0-node0\")",
            Assert.Throws<IOException>(() => GpioLineNames.Find([Soc, Sim], "LED_PWR", "expander")).Message);
        Assert.Equal("this system has no GPIO chips (/dev/gpiochip*)",
            Assert.Throws<IOException>(() => GpioLineNames.Find([], "LED_PWR", null)).Message);
    }

    [Fact]
    public void A_device_that_is_not_a_gpio_chip_is_named_in_the_error()
    {
        var error = Assert.Throws<IOException>(() => GpioLineNames.ReadChip("/dev/null", 0));

        Assert.StartsWith("/dev/null is not a GPIO chip:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_without_chips_reads_as_none()
    {
        var dir = Directory.CreateTempSubdirectory("yurtnet-dev-");
        try
        {
            Assert.Empty(GpioLineNames.ReadChips(dir.FullName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The ioctl numbers and struct layouts are compared with the kernel's own header, compiled here.</summary>
    [ToolFact("clang")]
    public void Ioctl_numbers_and_struct_layouts_match_linux_gpio_h()
    {
        var dir = Directory.CreateTempSubdirectory("yurtnet-gpio-abi-");
        try
        {
            var source = Path.Combine(dir.FullName, "abi.c");
            File.WriteAllText(source, """
                #include <linux/gpio.h>
                #include <stddef.h>
                #include <stdio.h>
                int main(void) {
                    printf("%lx %lx %lx %zu %zu %zu %zu %zu %zu %zu %d\n",
                        (unsigned long)GPIO_GET_CHIPINFO_IOCTL, (unsigned long)GPIO_GET_LINEINFO_IOCTL, (unsigned long)GPIO_V2_GET_LINEINFO_IOCTL,
                        sizeof(struct gpiochip_info), offsetof(struct gpiochip_info, lines),
                        sizeof(struct gpioline_info), offsetof(struct gpioline_info, name),
                        sizeof(struct gpio_v2_line_info), offsetof(struct gpio_v2_line_info, offset), offsetof(struct gpio_v2_line_info, consumer),
                        GPIO_MAX_NAME_SIZE);
                    return 0;
                }
                """);
            var binary = Path.Combine(dir.FullName, "abi");
            Assert.Equal("", Run("clang", "-o", binary, source));
            var expected = string.Join(' ',
                $"{Interop.GPIO_GET_CHIPINFO_IOCTL:x}", $"{Interop.GPIO_GET_LINEINFO_IOCTL:x}", $"{Interop.GPIO_V2_GET_LINEINFO_IOCTL:x}",
                Marshal.SizeOf<Interop.GpioChipInfo>(), Marshal.OffsetOf<Interop.GpioChipInfo>(nameof(Interop.GpioChipInfo.Lines)),
                Marshal.SizeOf<Interop.GpioLineInfoV1>(), Marshal.OffsetOf<Interop.GpioLineInfoV1>(nameof(Interop.GpioLineInfoV1.Name)),
                Marshal.SizeOf<Interop.GpioLineInfoV2>(), Marshal.OffsetOf<Interop.GpioLineInfoV2>(nameof(Interop.GpioLineInfoV2.Offset)), Marshal.OffsetOf<Interop.GpioLineInfoV2>(nameof(Interop.GpioLineInfoV2.Consumer)),
                Interop.GpioMaxNameSize);

            Assert.Equal(expected, Run(binary).Trim());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {output}");
        return output;
    }
}
