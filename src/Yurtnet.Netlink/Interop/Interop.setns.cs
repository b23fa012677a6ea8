using System.Runtime.InteropServices;
using Yurtnet.Netlink;

internal static partial class Interop
{
    internal const int CLONE_NEWNET = 0x40000000;

    /// <summary><c>setns(2)</c>: moves the calling thread into the namespace <paramref name="fd"/> refers to.</summary>
    [LibraryImport(Libc, EntryPoint = "setns", SetLastError = true)]
    internal static partial int Setns(SafeFileDescriptor fd, int nstype);
}
