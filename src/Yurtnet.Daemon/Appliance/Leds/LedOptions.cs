using System.Globalization;
using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>One entry of the <c>leds</c> list.</summary>
internal sealed record LedOptions
{
    /// <summary>The keys of one entry.</summary>
    public static readonly string[] Keys = ["name", "role", "backend", "chip", "line", "led", "model", "bus", "address", "activeLow"];

    /// <summary>The backends an entry may name.</summary>
    public static readonly string[] Backends = ["gpio", "ledclass", "mcp23xxx", "none"];

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

    /// <summary>
    /// Reads the list <paramref name="key"/>. An entry with a problem is reported (as <c>leds[i].key</c>) and left
    /// out; the others are kept, so one bad LED never costs the rest.
    /// </summary>
    public static List<LedOptions> ReadList(SettingsReader settings, string key)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var leds = new List<LedOptions>();
        foreach (var entry in settings.Items(key))
        {
            var problemsBefore = entry.Problems.Count;
            var led = Read(entry, leds);
            if (entry.Problems.Count == problemsBefore)
            {
                leds.Add(led);
            }
        }

        return leds;
    }

    /// <summary>One entry: what every LED has, then what its backend needs.</summary>
    private static LedOptions Read(SettingsReader entry, List<LedOptions> earlier)
    {
        entry.RejectUnknownKeys(Keys);
        var name = entry.Text("name");
        if (name is null)
        {
            entry.Problem("name", "required");
        }
        else if (earlier.Any(l => l.Name == name))
        {
            entry.Problem("name", $"\"{name}\" is used twice");
        }

        var roleText = entry.Text("role");
        if (!Enum.TryParse<LedRole>(roleText, ignoreCase: true, out var role) || int.TryParse(roleText, out _))
        {
            entry.Problem("role", $"\"{roleText}\" must be one of power, uplink, cloud, activity, fault");
        }

        var led = new LedOptions
        {
            Name = name ?? "",
            Role = role,
            Backend = ReadBackend(entry),
            Chip = entry.Raw("chip"),
            ActiveLow = entry.Boolean("activeLow", false),
        };
        return led.Backend switch
        {
            "gpio" => ReadGpioLine(entry, led),
            "mcp23xxx" => ReadExpanderPin(entry, led),
            "ledclass" => ReadClassLed(entry, led),
            _ => led,
        };
    }

    private static string ReadBackend(SettingsReader entry)
    {
        var backend = entry.Raw("backend") ?? "gpio";
        if (!Backends.Contains(backend, StringComparer.Ordinal))
        {
            entry.Problem("backend", $"\"{backend}\" must be gpio, ledclass, mcp23xxx or none");
        }

        return backend;
    }

    /// <summary><c>line</c> is the line's number on the chip, or its name (<c>gpio-line-names</c>) on any or the given chip.</summary>
    private static LedOptions ReadGpioLine(SettingsReader entry, LedOptions led)
    {
        var text = entry.Text("line");
        if (text is not null && !char.IsAsciiDigit(text[0]) && !string.IsNullOrWhiteSpace(text))
        {
            // The kernel's GPIO_MAX_NAME_SIZE less the NUL.
            if (System.Text.Encoding.UTF8.GetByteCount(text) > 31)
            {
                entry.Problem("line", $"\"{text}\" is longer than a GPIO line name can be (31 bytes)");
            }

            return led with { LineName = text };
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var line))
        {
            entry.Problem("line", $"\"{text}\" must be the GPIO line's number on the chip or its name as gpioinfo shows it");
        }

        return led with { Line = line };
    }

    /// <summary>A pin of an MCP23017 (0-15) or MCP23008 (0-7) on an I2C bus, at 0x20 to 0x27.</summary>
    private static LedOptions ReadExpanderPin(SettingsReader entry, LedOptions led)
    {
        var model = entry.Raw("model") ?? "mcp23017";
        if (model is not ("mcp23017" or "mcp23008"))
        {
            entry.Problem("model", $"\"{model}\" must be mcp23017 or mcp23008");
        }

        var pins = model == "mcp23008" ? 8 : 16;
        var bus = 1;
        if (entry.Raw("bus") is { } busText && (!int.TryParse(busText, NumberStyles.None, CultureInfo.InvariantCulture, out bus) || bus > 255))
        {
            entry.Problem("bus", $"\"{busText}\" must be the I2C bus number (/dev/i2c-N)");
        }

        var address = 0x20;
        if (entry.Raw("address") is { } addressText && !TryParseI2cAddress(addressText, out address))
        {
            entry.Problem("address", $"\"{addressText}\" must be the expander's I2C address, 0x20 to 0x27");
        }

        var lineText = entry.Text("line");
        if (!int.TryParse(lineText, NumberStyles.None, CultureInfo.InvariantCulture, out var line) || line >= pins)
        {
            entry.Problem("line", $"\"{lineText}\" must be the pin of the {model} (0-{pins - 1})");
        }

        return led with { Model = model, Bus = bus, Address = address, Line = line };
    }

    /// <summary>An LED the kernel already knows, by its name under /sys/class/leds.</summary>
    private static LedOptions ReadClassLed(SettingsReader entry, LedOptions led)
    {
        var name = entry.Text("led");
        if (name is null || name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            entry.Problem("led", $"\"{name}\" must be the LED's name under /sys/class/leds");
        }

        return led with { Led = name };
    }

    private static bool TryParseI2cAddress(string text, out int address)
    {
        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out address)
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out address);
        return ok && address is >= 0x20 and <= 0x27;
    }
}
