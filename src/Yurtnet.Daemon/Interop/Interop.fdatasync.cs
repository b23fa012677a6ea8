using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    /// <summary>
    /// <c>fdatasync(2)</c>: flushes a file's data and the metadata needed to read it back (its size), skipping
    /// timestamps: what a write-ahead log needs to survive a power cut, for less than fsync.
    /// </summary>
    [LibraryImport(Libc, EntryPoint = "fdatasync", SetLastError = true)]
    internal static partial int Fdatasync(SafeFileHandle fd);
}
