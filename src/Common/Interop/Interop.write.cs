using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    /// <summary><c>write(2)</c>: the bytes written, or -1 with errno set.</summary>
    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(SafeFileHandle fd, ReadOnlySpan<byte> buffer, nuint count);
}
