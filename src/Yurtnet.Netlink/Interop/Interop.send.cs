using System.Runtime.InteropServices;
using Yurtnet.Netlink;

internal static partial class Interop
{
    /// <summary><c>send(2)</c>.</summary>
    [LibraryImport(Libc, EntryPoint = "send", SetLastError = true)]
    internal static unsafe partial nint Send(SafeFileDescriptor fd, byte* buf, nuint len, int flags);
}
