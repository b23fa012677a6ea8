using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Yurtnet.Daemon.Appliance;

/// <summary>A Linux watchdog character device (<c>/dev/watchdog</c>) driven through its ioctls.</summary>
internal sealed class LinuxWatchdogDevice : IWatchdogDevice
{
    private readonly SafeFileHandle _fd;
    private readonly string _path;

    private LinuxWatchdogDevice(SafeFileHandle fd, string path)
    {
        _fd = fd;
        _path = path;
    }

    /// <summary>Opens the device; the message of a failure says what to do about it.</summary>
    /// <exception cref="IOException">The device is missing, busy or cannot be opened.</exception>
    public static LinuxWatchdogDevice Open(string path)
    {
        var fd = Interop.Open(path, Interop.O_WRONLY | Interop.O_CLOEXEC);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException(errno switch
            {
                Interop.ENOENT => $"watchdog device {path} does not exist: load its driver (e.g. modprobe softdog) or remove the watchdog section",
                Interop.EBUSY => $"watchdog device {path} is busy: another process holds it (systemd's RuntimeWatchdogSec=, a watchdog daemon); let only one of them drive it",
                _ => $"open watchdog device {path}: {Interop.Describe(errno)}",
            });
        }

        return new LinuxWatchdogDevice(new SafeFileHandle(fd, ownsHandle: true), path);
    }

    public int SetTimeout(int seconds)
    {
        var value = seconds;
        Check(Interop.Ioctl(_fd, Interop.WDIOC_SETTIMEOUT, ref value), "WDIOC_SETTIMEOUT");
        return value;
    }

    public void KeepAlive()
    {
        var unused = 0;
        Check(Interop.Ioctl(_fd, Interop.WDIOC_KEEPALIVE, ref unused), "WDIOC_KEEPALIVE");
    }

    public void DisarmOnClose()
    {
        ReadOnlySpan<byte> magic = "V"u8;
        if (Interop.Write(_fd, magic, 1) != 1)
        {
            throw Interop.LastError($"magic close of {_path}");
        }
    }

    public void Dispose() => _fd.Dispose();

    private void Check(int result, string operation)
    {
        if (result != 0)
        {
            throw Interop.LastError($"{operation} on {_path}");
        }
    }
}
