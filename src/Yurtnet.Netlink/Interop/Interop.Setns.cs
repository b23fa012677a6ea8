using System.Runtime.InteropServices;

namespace Yurtnet.Netlink;

internal static partial class Interop
{
    internal const int O_RDONLY = 0;
    internal const int O_CLOEXEC = 0x80000;
    internal const int CLONE_NEWNET = 0x40000000;

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "setns", SetLastError = true)]
    internal static partial int Setns(SafeFileDescriptor fd, int nstype);
}
