using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Yurtnet.Cni;

internal static partial class Interop
{
    private const int O_RDONLY = 0;
    private const int O_DIRECTORY = 0x10000;
    private const int O_CLOEXEC = 0x80000;
    private const int O_RDWR = 2;
    private const int O_CREAT = 0x40;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(SafeFileHandle fd);

    /// <summary>Opens (creating it) a lock file without .NET's own advisory locking, which would fail instead of wait.</summary>
    internal static SafeFileHandle OpenLockFile(string path)
    {
        var fd = OpenMode(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x180);
        if (fd < 0)
        {
            throw new IOException($"open lock file {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenMode(string path, int flags, int mode);

    /// <summary>fsyncs a directory, making renames and creations in it durable.</summary>
    internal static void FsyncDirectory(string path)
    {
        var fd = Open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"open directory {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Fsync(handle) != 0)
        {
            throw new IOException($"fsync directory {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }
}
