using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Yurtnet.Daemon;

internal static partial class Interop
{
    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(SafeFileHandle fd);

    /// <summary>
    /// Flushes a file's data and the metadata needed to read it back (its size), skipping timestamps: what a
    /// write-ahead log needs to survive a power cut, for less than fsync.
    /// </summary>
    internal static void FlushData(FileStream file)
    {
        file.Flush(flushToDisk: false);
        if (Fdatasync(file.SafeFileHandle) != 0)
        {
            throw new IOException($"fdatasync {file.Name}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }
}
