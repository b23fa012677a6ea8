namespace Yurtnet.Netlink;

internal static partial class Interop
{
    internal const string Libc = "libc";
}
