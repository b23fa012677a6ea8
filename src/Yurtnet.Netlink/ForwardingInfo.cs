namespace Yurtnet.Netlink;

/// <summary>
/// A permanent forwarding-database entry of a VXLAN device (<c>bridge fdb ... self</c>): frames for
/// <paramref name="Mac"/> are sent to the tunnel endpoint <paramref name="Destination"/>.
/// </summary>
public sealed record ForwardingInfo(int Interface, string Mac, System.Net.IPAddress Destination) : IKernelEntry
{
    /// <inheritdoc/>
    public string Describe() => $"fdb {Mac} dst {Destination} dev index {Interface} self permanent";
}
