using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    /// <summary><c>fsync(2)</c>.</summary>
    [LibraryImport(Libc, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(SafeFileHandle fd);
}
