// Native structs keep their <sys/un.h> names.
#pragma warning disable CS8981
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000;

    /// <summary>The longest <c>sun_path</c>, its terminating NUL included.</summary>
    internal const int SunPathLength = 108;

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct sockaddr_un
    {
        public ushort sun_family;
        public fixed byte sun_path[SunPathLength];
    }

    /// <summary><c>connect(2)</c> of a Unix socket.</summary>
    [LibraryImport(Libc, EntryPoint = "connect", SetLastError = true)]
    internal static unsafe partial int Connect(SafeFileHandle fd, sockaddr_un* address, uint length);

    /// <summary><c>setsockopt(2)</c> of a <see cref="timeval"/> option.</summary>
    [LibraryImport(Libc, EntryPoint = "setsockopt", SetLastError = true)]
    internal static unsafe partial int SetSockOpt(SafeFileHandle fd, int level, int name, timeval* value, uint length);

    /// <summary><c>recv(2)</c>: the bytes received, 0 at the peer's end, or -1 with errno set.</summary>
    [LibraryImport(Libc, EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Recv(SafeFileHandle fd, Span<byte> buffer, nuint length, int flags);

    /// <summary><c>send(2)</c>: the bytes sent, or -1 with errno set.</summary>
    [LibraryImport(Libc, EntryPoint = "send", SetLastError = true)]
    internal static partial nint Send(SafeFileHandle fd, ReadOnlySpan<byte> buffer, nuint length, int flags);
}
