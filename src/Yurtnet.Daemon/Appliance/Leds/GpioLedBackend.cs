using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using System.Globalization;

namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>An LED on a GPIO line, through System.Device.Gpio (libgpiod v2 or v1, whichever the board has).</summary>
internal sealed class GpioLedBackend : ILedBackend
{
    private readonly GpioController _controller;
    private readonly int _line;
    private readonly bool _activeLow;

    public GpioLedBackend(GpioDriver driver, int line, bool activeLow)
    {
        _controller = new GpioController(driver);
        _line = line;
        _activeLow = activeLow;
        try
        {
            _controller.OpenPin(line, PinMode.Output, Level(lit: false));
        }
        catch
        {
            // The chip (or the I2C device) is opened; a line that cannot be had must not leak it: the open is tried
            // again every few seconds.
            _controller.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="line"/> of <paramref name="chip"/>: a number, <c>gpiochipN</c>, or a chip label.</summary>
    /// <exception cref="IOException">The chip or line cannot be opened; the message says which and why.</exception>
    public static GpioLedBackend Open(string chip, int line, bool activeLow)
    {
        try
        {
            return new GpioLedBackend(OpenDriver(chip), line, activeLow);
        }
        catch (Exception ex) when (ex is not IOException)
        {
            throw new IOException($"GPIO chip \"{chip}\" line {line}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Opens the line named <paramref name="lineName"/> (as <c>gpioinfo</c> shows it) on <paramref name="chip"/>, or on
    /// whichever chip has it when <paramref name="chip"/> is null.
    /// </summary>
    /// <exception cref="IOException">No such line, an ambiguous name, or the chip cannot be opened.</exception>
    public static GpioLedBackend OpenNamed(string? chip, string lineName, bool activeLow)
    {
        var (number, offset) = GpioLineNames.Find(GpioLineNames.ReadChips(), lineName, chip);
        return Open(number.ToString(CultureInfo.InvariantCulture), offset, activeLow);
    }

    /// <summary>
    /// Opens pin <paramref name="line"/> of an MCP23008 (8 pins) or MCP23017 (16 pins) I2C expander at
    /// <paramref name="address"/> on bus <paramref name="bus"/>. The expander is a GPIO driver of its own.
    /// </summary>
    /// <exception cref="IOException">The bus or the chip cannot be reached.</exception>
    public static GpioLedBackend OpenExpander(string model, int bus, int address, int line, bool activeLow)
    {
        try
        {
            var device = System.Device.I2c.I2cDevice.Create(new System.Device.I2c.I2cConnectionSettings(bus, address));
            try
            {
                return new GpioLedBackend(Expander(model, device), line, activeLow);
            }
            catch
            {
                device.Dispose(); // an expander that does not answer must not leak the bus: the open is tried again
                throw;
            }
        }
        catch (Exception ex) when (ex is not IOException)
        {
            throw new IOException($"{model} at I2C bus {bus} address 0x{address:x2} pin {line}: {ex.Message}", ex);
        }
    }

    internal static GpioDriver Expander(string model, System.Device.I2c.I2cDevice device) => model == "mcp23008"
        ? new Iot.Device.Mcp23xxx.Mcp23008(device)
        : new Iot.Device.Mcp23xxx.Mcp23017(device);

    public void Set(bool lit) => _controller.Write(_line, Level(lit));

    public void Dispose() => _controller.Dispose();

    private PinValue Level(bool lit) => lit ^ _activeLow ? PinValue.High : PinValue.Low;

    private static GpioDriver OpenDriver(string chip)
    {
        var number = ChipNumber(chip);
        try
        {
            return new LibGpiodV2Driver(number ?? LabelToNumber(chip, LibGpiodV2Driver.GetAvailableChips()));
        }
        catch (Exception v2) when (v2 is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or Exception { InnerException: DllNotFoundException })
        {
            // Debian 12 ships libgpiod 1.6 (libgpiod.so.2): the v1 driver.
            return new LibGpiodDriver(number ?? LabelToNumber(chip, LibGpiodDriver.GetAvailableChips()));
        }
    }

    private static int? ChipNumber(string chip)
    {
        var digits = chip.StartsWith("gpiochip", StringComparison.Ordinal) ? chip["gpiochip".Length..] : chip;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    private static int LabelToNumber(string label, IList<GpioChipInfo> chips) =>
        chips.FirstOrDefault(c => c.Label == label || c.Name == label)?.Id
        ?? throw new IOException($"no GPIO chip labelled \"{label}\" (have: {string.Join(", ", chips.Select(c => $"{c.Name} \"{c.Label}\""))})");
}
