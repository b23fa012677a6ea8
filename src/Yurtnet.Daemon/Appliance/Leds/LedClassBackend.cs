using Iot.Device.BoardLed;

namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>
/// An LED of the kernel's LED class (<c>/sys/class/leds/&lt;name&gt;</c>). Brightness goes through Iot.Device.Bindings'
/// BoardLed. For the uplink role the LED is handed to the kernel's <c>netdev</c> trigger, which shows the link without
/// us, so it stays right even if yurtnetd hangs.
/// </summary>
/// <remarks>
/// Triggers are written here, not through BoardLed.Trigger: BoardLed checks a trigger against the kernel's list split
/// on spaces with the trailing newline kept, so the last trigger listed is refused; and once BoardLed is open it holds
/// the files under .NET's exclusive lock.
/// </remarks>
internal sealed class LedClassBackend : ILedBackend
{
    private readonly string _directory;
    private readonly BoardLed? _led;
    private readonly int _max;

    private LedClassBackend(string directory, BoardLed? led)
    {
        _directory = directory;
        _led = led;
        _max = led is null ? 1 : Math.Max(led.MaxBrightness, 1);
    }

    /// <summary>Where the shipped unit lets yurtnetd write LED class devices: where the device tree's gpio-leds puts them.</summary>
    public const string SandboxWritable = "/sys/devices/platform/leds";

    /// <summary>Opens the LED; with <paramref name="netdevInterface"/> the kernel drives it from that interface's link.</summary>
    /// <exception cref="IOException">The LED does not exist or cannot be written; the message names it and what to do.</exception>
    public static LedClassBackend Open(string name, string? netdevInterface)
    {
        var directory = $"/sys/class/leds/{name}";
        try
        {
            if (netdevInterface is not null)
            {
                if (!File.ReadAllText(Path.Combine(directory, "trigger")).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
                        .Any(t => t.Trim('[', ']') == "netdev"))
                {
                    throw new IOException("the kernel has no netdev LED trigger, which shows the uplink's link: load it with "
                        + "`modprobe ledtrig-netdev` and list ledtrig-netdev in /etc/modules-load.d/ so that it is there after a reboot");
                }

                Write(directory, "trigger", "netdev");
                Write(directory, "device_name", netdevInterface);
                Write(directory, "link", "1");
                return new LedClassBackend(directory, led: null);
            }

            Write(directory, "trigger", "none");
            var led = new BoardLed(name) { Brightness = 0 };
            return new LedClassBackend(directory, led);
        }
        catch (IOException ex) when (ex.HResult == Interop.EROFS) // .NET gives an unmapped errno as the HResult
        {
            var device = new DirectoryInfo(directory).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? directory;
            throw new IOException($"LED class device {directory} is read-only for yurtnetd: its unit keeps /sys read-only "
                + $"(ProtectKernelTunables=) but for {SandboxWritable}, and this LED is {device}. Allow it with "
                + $"`systemctl edit yurtnetd`, the lines `[Service]` and `ReadWritePaths=-{SandboxPath(device)}`, then "
                + "`systemctl restart yurtnetd`", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new IOException($"LED class device {directory}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// What a drop-in should make writable for the LED at <paramref name="device"/>: the device its LEDs hang under
    /// (<c>.../DEVICE/leds/NAME</c>), which exists from boot, not the LED's own directory, which appears only once its
    /// driver binds (a path missing when the unit starts is skipped with the "-" prefix, and fails the start without).
    /// </summary>
    internal static string SandboxPath(string device)
    {
        var leds = Path.GetDirectoryName(device);
        return leds is not null && Path.GetFileName(leds) == "leds" && Path.GetDirectoryName(leds) is { Length: > 1 } parent ? parent : device;
    }

    public void Set(bool lit)
    {
        _led?.Brightness = lit ? _max : 0;
    }

    public void Dispose()
    {
        if (_led is null)
        {
            // Take the LED back from the kernel's trigger so it is dark while yurtnetd is stopped.
            Write(_directory, "trigger", "none");
            Write(_directory, "brightness", "0");
        }

        _led?.Dispose();
    }

    private static void Write(string directory, string file, string value) => File.WriteAllText(Path.Combine(directory, file), value);
}
