using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace Yurtnet.HostNetwork;

/// <summary>
/// An advisory <c>flock(2)</c> on a lock file, held until disposed. Opened with <c>open(2)</c>, not a
/// <see cref="FileStream"/>: .NET's own advisory locking would fail instead of wait.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly SafeFileHandle _handle;

    private FileLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>
    /// Waits at most <paramref name="timeout"/> for the lock (<see cref="Interop.LOCK_SH"/> or
    /// <see cref="Interop.LOCK_EX"/>), creating the file if needed: a holder that hangs (a plugin stopped by a signal)
    /// must not hang every later ADD and DEL with it.
    /// </summary>
    /// <exception cref="TimeoutException">Another process held the lock for the whole timeout.</exception>
    public static FileLock Acquire(string path, int operation, TimeSpan timeout)
    {
        var fd = Interop.Open(path, Interop.O_RDWR | Interop.O_CREAT | Interop.O_CLOEXEC, 0x180);
        if (fd < 0)
        {
            throw Interop.LastError($"open lock file {path}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var started = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(2);
        while (Interop.Flock(handle, operation | Interop.LOCK_NB) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno is not (Interop.EWOULDBLOCK or Interop.EINTR))
            {
                handle.Dispose();
                throw Interop.Error($"flock {path}", errno);
            }

            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                handle.Dispose();
                throw new TimeoutException($"flock {path}: another process held it for {timeout.TotalSeconds:0.#} s");
            }

            Thread.Sleep(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 50));
        }

        return new FileLock(handle);
    }

    public void Dispose()
    {
        _ = Interop.Flock(_handle, Interop.LOCK_UN);
        _handle.Dispose();
    }
}
