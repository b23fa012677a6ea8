using System.Runtime.InteropServices;
using Yurtnet.Netlink;

internal static partial class Interop
{
    /// <summary><c>bind(2)</c> of a netlink socket.</summary>
    [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)]
    internal static unsafe partial int Bind(SafeFileDescriptor fd, sockaddr_nl* addr, int addrlen);
}
