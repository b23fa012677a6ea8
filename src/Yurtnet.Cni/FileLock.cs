using Microsoft.Win32.SafeHandles;

namespace Yurtnet.Cni;

/// <summary>
/// An advisory <c>flock(2)</c> on a lock file, held until disposed. Opened with <c>open(2)</c>, not a
/// <see cref="FileStream"/>: .NET's own advisory locking would fail instead of wait.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly SafeFileHandle _handle;

    private FileLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>Waits for the lock (<see cref="Interop.LOCK_SH"/> or <see cref="Interop.LOCK_EX"/>), creating the file if needed.</summary>
    public static FileLock Acquire(string path, int operation)
    {
        var fd = Interop.Open(path, Interop.O_RDWR | Interop.O_CREAT | Interop.O_CLOEXEC, 0x180);
        if (fd < 0)
        {
            throw Interop.LastError($"open lock file {path}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        while (Interop.Flock(handle, operation) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno != Interop.EINTR)
            {
                handle.Dispose();
                throw Interop.Error($"flock {path}", errno);
            }
        }

        return new FileLock(handle);
    }

    public void Dispose()
    {
        _ = Interop.Flock(_handle, Interop.LOCK_UN);
        _handle.Dispose();
    }
}
