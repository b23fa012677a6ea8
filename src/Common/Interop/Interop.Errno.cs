using System.Runtime.InteropServices;

// One errno vocabulary for every assembly: an error names the operation, its object and the errno's name, number
// and text, e.g. "RTM_NEWLINK veth \"yn3f2a\": EEXIST (17, File exists)".
internal static partial class Interop
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int ESRCH = 3;
    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int ENOMEM = 12;
    internal const int EACCES = 13;
    internal const int EBUSY = 16;
    internal const int EEXIST = 17;
    internal const int ENODEV = 19;
    internal const int EINVAL = 22;
    internal const int ENOTTY = 25;
    internal const int ENOSPC = 28;
    internal const int EROFS = 30;
    internal const int EPIPE = 32;
    internal const int ERANGE = 34;
    internal const int EDQUOT = 122;
    internal const int EPROTONOSUPPORT = 93;
    internal const int EOPNOTSUPP = 95;
    internal const int EADDRNOTAVAIL = 99;
    internal const int ENETUNREACH = 101;
    internal const int ENOBUFS = 105;
    internal const int ECONNRESET = 104;
    internal const int ETIMEDOUT = 110;
    internal const int ECONNREFUSED = 111;

    /// <summary>Formats an errno as <c>NAME (number, text)</c>, e.g. <c>EEXIST (17, File exists)</c>.</summary>
    internal static string Describe(int errno) => $"{ErrnoName(errno)} ({errno}, {Marshal.GetPInvokeErrorMessage(errno)})";

    /// <summary>The failure of the last P/Invoke as an exception that names the operation and its object.</summary>
    /// <param name="operation">What was attempted, with its object: <c>fdatasync /var/lib/yurtnet/state-log.db</c>.</param>
    internal static IOException LastError(string operation) => Error(operation, Marshal.GetLastPInvokeError());

    /// <summary>A failed call as an exception that names the operation, its object and the errno.</summary>
    internal static IOException Error(string operation, int errno) => new($"{operation}: {Describe(errno)}") { HResult = errno };

    /// <summary>The symbolic name of an errno (<c>ENOSPC</c>), or <c>E?</c> for one this list lacks.</summary>
    internal static string ErrnoName(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        EINTR => "EINTR",
        EIO => "EIO",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        ENODEV => "ENODEV",
        EINVAL => "EINVAL",
        ENOTTY => "ENOTTY",
        ENOSPC => "ENOSPC",
        EROFS => "EROFS",
        EPIPE => "EPIPE",
        ERANGE => "ERANGE",
        EDQUOT => "EDQUOT",
        EPROTONOSUPPORT => "EPROTONOSUPPORT",
        EOPNOTSUPP => "EOPNOTSUPP",
        EADDRNOTAVAIL => "EADDRNOTAVAIL",
        ENETUNREACH => "ENETUNREACH",
        ENOBUFS => "ENOBUFS",
        ECONNRESET => "ECONNRESET",
        ETIMEDOUT => "ETIMEDOUT",
        ECONNREFUSED => "ECONNREFUSED",
        _ => "E?",
    };
}
