namespace Yurtnet.Netlink;

/// <summary>
/// A netlink or namespace operation failed. The message names the operation, its object and the errno, e.g.
/// <c>RTM_NEWLINK veth "yn3f2a" in netns /var/run/netns/cni-1234: EEXIST (17, File exists)</c>.
/// </summary>
public sealed class NetlinkException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NetlinkException(string operation, int errno, string? kernelMessage = null)
        : base($"{operation}: {Interop.Describe(errno)}{(string.IsNullOrEmpty(kernelMessage) ? "" : $": {kernelMessage}")}")
    {
        Operation = operation;
        Errno = errno;
    }

    /// <summary>Creates the exception.</summary>
    public NetlinkException() => Operation = "";

    /// <summary>Creates the exception.</summary>
    public NetlinkException(string message) : base(message) => Operation = "";

    /// <summary>Creates the exception.</summary>
    public NetlinkException(string message, Exception innerException) : base(message, innerException) => Operation = "";

    /// <summary>What was attempted, on which object.</summary>
    public string Operation { get; }

    /// <summary>The errno the kernel answered.</summary>
    public int Errno { get; }

    /// <summary>True when the object does not exist (ENODEV, ENOENT, ESRCH): "already gone" for a teardown.</summary>
    public bool IsNotFound => Errno is Interop.ENODEV or Interop.ENOENT or Interop.ESRCH;

    /// <summary>True when the object already exists.</summary>
    public bool IsAlreadyExists => Errno == Interop.EEXIST;
}
