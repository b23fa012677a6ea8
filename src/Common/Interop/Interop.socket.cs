// Native structs keep their <sys/socket.h>, <sys/time.h> and <linux/netlink.h> names.
#pragma warning disable CS8981
using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal const int AF_UNIX = 1;
    internal const int AF_NETLINK = 16;
    internal const int SOCK_STREAM = 1;
    internal const int SOCK_RAW = 3;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int NETLINK_ROUTE = 0;
    internal const int NETLINK_NETFILTER = 12;
    internal const int SOL_SOCKET = 1;
    internal const int SO_RCVTIMEO = 20;
    internal const int SO_SNDTIMEO = 21;

    /// <summary>The value of <c>SO_RCVTIMEO</c> and <c>SO_SNDTIMEO</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct timeval
    {
        public long tv_sec;
        public long tv_usec;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct sockaddr_nl
    {
        public ushort nl_family;
        public ushort nl_pad;
        public uint nl_pid;
        public uint nl_groups;
    }

    /// <summary><c>socket(2)</c>.</summary>
    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);
}
