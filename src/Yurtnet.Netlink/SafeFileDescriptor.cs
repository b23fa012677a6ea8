using Microsoft.Win32.SafeHandles;

namespace Yurtnet.Netlink;

/// <summary>A file descriptor owned by this process: a netlink socket or a network namespace file.</summary>
internal sealed class SafeFileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeFileDescriptor() : base(ownsHandle: true)
    {
    }

    internal SafeFileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    /// <summary>The descriptor number, for netlink attributes that carry one (IFLA_NET_NS_FD).</summary>
    internal int Number => (int)handle;

    protected override bool ReleaseHandle() => Interop.Close((int)handle) == 0;
}
