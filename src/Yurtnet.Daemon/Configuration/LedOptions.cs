using Yurtnet.Daemon.Appliance.Leds;

namespace Yurtnet.Daemon.Configuration;

/// <summary>One entry of the <c>leds</c> list.</summary>
internal sealed record LedOptions
{
    /// <summary>Name for logs and <c>yurtnetctl</c>.</summary>
    public required string Name { get; init; }

    public required LedRole Role { get; init; }

    /// <summary><c>gpio</c>, <c>ledclass</c> or <c>none</c>.</summary>
    public required string Backend { get; init; }

    /// <summary>GPIO chip: number, <c>gpiochipN</c> or label.</summary>
    public string Chip { get; init; } = "0";

    /// <summary>GPIO line number on the chip.</summary>
    public int Line { get; init; }

    /// <summary>ledclass: the LED's name under /sys/class/leds.</summary>
    public string? Led { get; init; }

    /// <summary>True when the LED lights with the line low.</summary>
    public bool ActiveLow { get; init; }
}
