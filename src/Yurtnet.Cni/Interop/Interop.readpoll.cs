using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal const int EPIPE = 32;
    internal const short POLLIN = 0x1;
    internal const short POLLOUT = 0x4;

    /// <summary><c>read(2)</c>: the bytes read, 0 at the end, or -1 with errno set.</summary>
    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(SafeFileHandle fd, Span<byte> buffer, nuint count);

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary><c>poll(2)</c>.</summary>
    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);
}
