using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Yurtnet.Daemon;

internal static partial class Interop
{
    // <linux/watchdog.h>: _IOR('W', 5, int), _IOWR('W', 6, int).
    internal const uint WDIOC_KEEPALIVE = 0x80045705;
    internal const uint WDIOC_SETTIMEOUT = 0xC0045706;
    internal const int O_WRONLY = 1;
    internal const int O_CLOEXEC = 0x80000;
    internal const int ENOENT = 2;
    internal const int EBUSY = 16;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(SafeFileHandle fd, nuint request, ref int argument);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(SafeFileHandle fd, ReadOnlySpan<byte> buffer, nuint count);
}
