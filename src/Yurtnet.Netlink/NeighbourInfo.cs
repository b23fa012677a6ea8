namespace Yurtnet.Netlink;

/// <summary>A permanent neighbour entry (ARP or NDP): <paramref name="Address"/> is at <paramref name="Mac"/> on the interface.</summary>
public sealed record NeighbourInfo(int Interface, System.Net.IPAddress Address, string Mac) : IKernelEntry
{
    /// <inheritdoc/>
    public string Describe() => $"neighbour {Address} lladdr {Mac} dev index {Interface} permanent";
}
