using Yurtnet.Daemon.Appliance.Leds;

namespace Yurtnet.Daemon.Configuration;

/// <summary>One entry of the <c>leds</c> list.</summary>
internal sealed record LedOptions
{
    /// <summary>Name for logs and <c>yurtnetctl</c>.</summary>
    public required string Name { get; init; }

    public required LedRole Role { get; init; }

    /// <summary><c>gpio</c>, <c>ledclass</c>, <c>mcp23xxx</c> or <c>none</c>.</summary>
    public required string Backend { get; init; }

    /// <summary>GPIO chip: number, <c>gpiochipN</c> or label; null means chip 0, or any chip for a named line.</summary>
    public string? Chip { get; init; }

    /// <summary>GPIO line number on the chip (gpio), or pin of the expander (mcp23xxx).</summary>
    public int Line { get; init; }

    /// <summary>gpio: the line's name (<c>gpioinfo</c>), used instead of <see cref="Line"/> when set.</summary>
    public string? LineName { get; init; }

    /// <summary>mcp23xxx: <c>mcp23017</c> or <c>mcp23008</c>.</summary>
    public string Model { get; init; } = "mcp23017";

    /// <summary>mcp23xxx: the I2C bus number (<c>/dev/i2c-N</c>).</summary>
    public int Bus { get; init; } = 1;

    /// <summary>mcp23xxx: the expander's I2C address.</summary>
    public int Address { get; init; } = 0x20;

    /// <summary>ledclass: the LED's name under /sys/class/leds.</summary>
    public string? Led { get; init; }

    /// <summary>True when the LED lights with the line low.</summary>
    public bool ActiveLow { get; init; }
}
