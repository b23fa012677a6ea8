using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Yurtnet.Cni;

internal static partial class Interop
{
    internal const int LOCK_SH = 1;
    internal const int LOCK_EX = 2;
    internal const int LOCK_UN = 8;

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(SafeFileHandle fd, int operation);
}
