using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    /// <summary><c>ioctl(2)</c> with an int argument (<c>&lt;linux/watchdog.h&gt;</c>).</summary>
    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(SafeFileHandle fd, nuint request, ref int argument);

    /// <summary><c>ioctl(2)</c> GPIO_GET_CHIPINFO_IOCTL.</summary>
    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(SafeFileHandle fd, nuint request, ref GpioChipInfo argument);

    /// <summary><c>ioctl(2)</c> GPIO_GET_LINEINFO_IOCTL (ABI v1).</summary>
    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(SafeFileHandle fd, nuint request, ref GpioLineInfoV1 argument);

    /// <summary><c>ioctl(2)</c> GPIO_V2_GET_LINEINFO_IOCTL.</summary>
    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(SafeFileHandle fd, nuint request, ref GpioLineInfoV2 argument);
}
