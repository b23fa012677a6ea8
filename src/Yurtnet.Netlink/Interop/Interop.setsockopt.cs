using System.Runtime.InteropServices;
using Yurtnet.Netlink;

internal static partial class Interop
{
    internal const int SOL_NETLINK = 270;
    internal const int NETLINK_CAP_ACK = 10;
    internal const int NETLINK_EXT_ACK = 11;
    internal const int NETLINK_GET_STRICT_CHK = 12;
    internal const int SO_SNDBUF = 7;
    internal const int SO_RCVBUF = 8;

    /// <summary><c>setsockopt(2)</c>.</summary>
    [LibraryImport(Libc, EntryPoint = "setsockopt", SetLastError = true)]
    internal static unsafe partial int SetSockOpt(SafeFileDescriptor fd, int level, int name, void* value, uint len);
}
