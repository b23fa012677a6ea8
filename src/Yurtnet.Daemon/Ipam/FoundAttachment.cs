using System.Net;

namespace Yurtnet.Daemon.Ipam;

/// <summary>An attachment of ours that the host still knows about (the runtime's CNI result cache), with what it was given.</summary>
/// <param name="ContainerId">The sandbox.</param>
/// <param name="IfName">The pod's interface.</param>
/// <param name="Network">The CNI network name.</param>
/// <param name="Addresses">Each address with the prefix length of its pool.</param>
/// <param name="PodNamespace">From the runtime's K8S_POD_NAMESPACE, if it passed one.</param>
/// <param name="PodName">From K8S_POD_NAME.</param>
/// <param name="PodUid">From K8S_POD_UID.</param>
/// <param name="Netns">The sandbox's network namespace.</param>
/// <param name="Plumbed">Whether its host veth still exists: the sandbox is live.</param>
/// <param name="PodLocal">A container the runtime named only by K8S_POD_NAME (podman), placed in the network's localPodNamespace.</param>
internal sealed record FoundAttachment(
    string ContainerId,
    string IfName,
    string Network,
    IReadOnlyList<(IPAddress Address, int PrefixLength)> Addresses,
    string? PodNamespace,
    string? PodName,
    string? PodUid,
    string? Netns,
    bool Plumbed,
    bool PodLocal = false)
{
    /// <summary>The container id of an attachment known only by its host veth: the veth's name after this.</summary>
    public const string HostVethPrefix = "hostveth/";

    /// <summary>Known only by its host veth (no cache entry): its addresses are reserved while the veth exists.</summary>
    public bool OnlyHostVeth => ContainerId.StartsWith(HostVethPrefix, StringComparison.Ordinal);

    /// <summary>An attachment of which the host knows only the veth and its peer's addresses.</summary>
    public static FoundAttachment FromHostVeth(string hostVeth, IReadOnlyList<(IPAddress Address, int PrefixLength)> addresses) =>
        new(HostVethPrefix + hostVeth, "-", UnknownNetwork, addresses, null, null, null, null, Plumbed: true);

    /// <summary>The network of a reservation for a host veth: unknown, and no network's name (those have no parentheses).</summary>
    public const string UnknownNetwork = "(unknown)";
}
