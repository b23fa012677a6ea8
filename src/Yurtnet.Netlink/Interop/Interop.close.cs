using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary><c>close(2)</c>; only <see cref="Yurtnet.Netlink.SafeFileDescriptor"/> calls it.</summary>
    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);
}
