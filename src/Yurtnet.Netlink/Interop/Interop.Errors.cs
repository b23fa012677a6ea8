using System.Runtime.InteropServices;

namespace Yurtnet.Netlink;

internal static partial class Interop
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int ESRCH = 3;
    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int EBUSY = 16;
    internal const int EEXIST = 17;
    internal const int ENODEV = 19;
    internal const int EINVAL = 22;
    internal const int EADDRNOTAVAIL = 99;

    /// <summary>Formats an errno as <c>NAME (number, text)</c>, e.g. <c>EEXIST (17, File exists)</c>.</summary>
    internal static string Describe(int errno) => $"{Name(errno)} ({errno}, {Marshal.GetPInvokeErrorMessage(errno)})";

    private static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        EINTR => "EINTR",
        5 => "EIO",
        9 => "EBADF",
        EAGAIN => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        ENODEV => "ENODEV",
        EINVAL => "EINVAL",
        28 => "ENOSPC",
        34 => "ERANGE",
        93 => "EPROTONOSUPPORT",
        95 => "EOPNOTSUPP",
        EADDRNOTAVAIL => "EADDRNOTAVAIL",
        101 => "ENETUNREACH",
        105 => "ENOBUFS",
        110 => "ETIMEDOUT",
        _ => "E?",
    };
}
