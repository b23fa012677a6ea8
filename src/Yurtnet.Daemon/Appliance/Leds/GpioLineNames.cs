using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>
/// Finds a GPIO line by its name (device tree <c>gpio-line-names</c>, as <c>gpioinfo</c> shows them), so a
/// configuration survives boards and kernels that number chips differently.
/// </summary>
internal static class GpioLineNames
{
    /// <summary>
    /// The chip and offset of the line named <paramref name="lineName"/>, looked for on <paramref name="chip"/>
    /// (number, <c>gpiochipN</c> or label) or, when null, on every chip.
    /// </summary>
    /// <exception cref="IOException">No such line, or the name is on more than one chip; the message says what exists.</exception>
    public static (int Chip, int Offset) Find(IReadOnlyList<GpioChipLines> chips, string lineName, string? chip)
    {
        var searched = chip is null ? chips : chips.Where(c => Matches(c, chip)).ToList();
        if (searched.Count == 0)
        {
            throw new IOException(chips.Count == 0
                ? "this system has no GPIO chips (/dev/gpiochip*)"
                : $"no GPIO chip \"{chip}\" (have: {Describe(chips)})");
        }

        var hits = searched
            .SelectMany(c => c.LineNames.Select((name, offset) => (c, name, offset)))
            .Where(h => h.name == lineName)
            .ToList();
        if (hits.Count == 1)
        {
            return (hits[0].c.Number, hits[0].offset);
        }

        if (hits.Count > 1)
        {
            throw new IOException($"GPIO line name \"{lineName}\" is not unique ({string.Join(", ", hits.Select(h => $"{h.c.Name} line {h.offset}"))}): set \"chip\" to the one that drives the LED");
        }

        var named = searched.SelectMany(c => c.LineNames.Where(n => n.Length > 0)).Distinct().Take(24).ToList();
        var where = chip is null ? "on any GPIO chip" : $"on {searched[0].Name} \"{searched[0].Label}\"";
        throw new IOException(named.Count == 0
            ? $"no GPIO line named \"{lineName}\" {where}, and its lines have no names: give the line's number instead"
            : $"no GPIO line named \"{lineName}\" {where} (named lines: {string.Join(", ", named)})");
    }

    /// <summary>True when <paramref name="chip"/> (number, <c>gpiochipN</c> or label) names <paramref name="candidate"/>.</summary>
    public static bool Matches(GpioChipLines candidate, string chip) =>
        candidate.Label == chip || candidate.Name == chip
        || (int.TryParse(chip, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n == candidate.Number);

    /// <summary>Reads every <c>/dev/gpiochipN</c> under <paramref name="devDirectory"/> through the GPIO character device ioctls.</summary>
    /// <exception cref="IOException">A chip cannot be opened or queried.</exception>
    public static IReadOnlyList<GpioChipLines> ReadChips(string devDirectory = "/dev")
    {
        var chips = new List<GpioChipLines>();
        foreach (var path in Directory.EnumerateFiles(devDirectory, "gpiochip*"))
        {
            if (int.TryParse(Path.GetFileName(path)["gpiochip".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                chips.Add(ReadChip(path, number));
            }
        }

        return chips.OrderBy(c => c.Number).ToList();
    }

    /// <summary>Reads one chip's name, label and line names from its character device.</summary>
    /// <exception cref="IOException">The device cannot be opened or is not a GPIO chip.</exception>
    public static GpioChipLines ReadChip(string path, int number)
    {
        var fd = Interop.Open(path, Interop.O_RDONLY | Interop.O_CLOEXEC);
        if (fd < 0)
        {
            throw Interop.LastError($"open {path}");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var info = default(Interop.GpioChipInfo);
        if (Interop.Ioctl(handle, Interop.GPIO_GET_CHIPINFO_IOCTL, ref info) < 0)
        {
            throw Interop.LastError($"{path} is not a GPIO chip: GPIO_GET_CHIPINFO_IOCTL");
        }

        var names = new string[info.Lines];
        var useV1 = false;
        for (var offset = 0u; offset < info.Lines; offset++)
        {
            names[offset] = useV1 ? LineNameV1(handle, path, offset) : LineNameV2(handle, path, offset, out useV1);
        }

        return new GpioChipLines(number, info.Name.Text, info.Label.Text, names);
    }

    private static string LineNameV2(SafeFileHandle handle, string path, uint offset, out bool useV1)
    {
        var line = new Interop.GpioLineInfoV2 { Offset = offset };
        if (Interop.Ioctl(handle, Interop.GPIO_V2_GET_LINEINFO_IOCTL, ref line) == 0)
        {
            useV1 = false;
            return line.Name.Text;
        }

        // Kernels before 5.10 know only the first ABI.
        var errno = Marshal.GetLastPInvokeError();
        useV1 = errno is Interop.ENOTTY or Interop.EINVAL;
        return useV1 ? LineNameV1(handle, path, offset) : throw LineInfoFailed(path, offset, errno);
    }

    private static string LineNameV1(SafeFileHandle handle, string path, uint offset)
    {
        var line = new Interop.GpioLineInfoV1 { Offset = offset };
        return Interop.Ioctl(handle, Interop.GPIO_GET_LINEINFO_IOCTL, ref line) == 0
            ? line.Name.Text
            : throw LineInfoFailed(path, offset, Marshal.GetLastPInvokeError());
    }

    private static IOException LineInfoFailed(string path, uint offset, int errno) =>
        Interop.Error($"GPIO line info of {path} line {offset}", errno);

    private static string Describe(IReadOnlyList<GpioChipLines> chips) =>
        string.Join(", ", chips.Select(c => $"{c.Name} \"{c.Label}\""));
}
