namespace Yurtnet.Netlink;

/// <summary>Something the kernel keeps that <see cref="Rtnetlink.Apply"/> adds or removes: a route, a neighbour, a forwarding entry.</summary>
public interface IKernelEntry
{
    /// <summary>The entry as <c>ip</c> would print it, for messages.</summary>
    string Describe();
}
