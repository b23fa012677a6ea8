using System.Runtime.InteropServices;
using Yurtnet.Netlink;

internal static partial class Interop
{
    /// <summary><c>recv(2)</c>.</summary>
    [LibraryImport(Libc, EntryPoint = "recv", SetLastError = true)]
    internal static unsafe partial nint Recv(SafeFileDescriptor fd, byte* buf, nuint len, int flags);
}
