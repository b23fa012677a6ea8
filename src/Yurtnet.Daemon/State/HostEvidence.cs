using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Netlink;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.State;

/// <summary>
/// What the host still knows about our attachments, read before the socket serves: the result cache the runtime's CNI
/// library keeps for every attachment (<c>/var/lib/cni/results/&lt;network&gt;-&lt;container&gt;-&lt;ifname&gt;</c>, kind
/// <c>cniCacheV1</c>: the conflist, the pod's K8S_POD_* args, the result with its addresses), checked against the host
/// ends of our veths (a sandbox whose veth is gone is not live). Unreadable files are skipped with the reason. After
/// the store was damaged, also every host veth of ours that the cache does not know (a runtime that crashed between the
/// plugin's answer and writing its cache): the addresses of its peer, read in the pod's namespace by its id, without
/// entering it, are reserved for as long as the veth exists.
/// </summary>
internal sealed partial class HostEvidence(StateOptions options, ILogger<HostEvidence> logger)
{
    /// <param name="hostVeths">Also our host veths the cache does not know (after damage: not at every start, where the
    /// store already has them, and another yurtnet's pods in the same namespace, as in a test bed, are not ours).</param>
    /// <exception cref="NetlinkException">With <paramref name="hostVeths"/>: the veths could not be read.</exception>
    public List<FoundAttachment> Gather(bool hostVeths)
    {
        var found = new List<FoundAttachment>();
        using var host = OpenHostNetlink();
        foreach (var file in Directory.Exists(options.CniResultsDir) ? Directory.EnumerateFiles(options.CniResultsDir).Order(StringComparer.Ordinal) : Enumerable.Empty<string>())
        {
            try
            {
                if (Read(File.ReadAllBytes(file)) is { } attachment)
                {
                    found.Add(attachment with { Plumbed = host is null || Plumbed(host, HostVethName.For(attachment.ContainerId, attachment.IfName)) });
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                LogUnreadable(logger, file, ex.Message);
            }
        }

        if (hostVeths)
        {
            // Without netlink nothing can be reserved: the caller hands out nothing until it can.
            found.AddRange(UncachedVeths(host ?? throw new NetlinkException("socket(AF_NETLINK): needed to read the host veths after damage", Interop.EACCES),
                found.Select(f => HostVethName.For(f.ContainerId, f.IfName)).ToHashSet(StringComparer.Ordinal)));
        }

        return found;
    }

    /// <summary>Our host veths (<c>yn</c> + 12 hex digits) the cache does not know, with the addresses of their peers.</summary>
    /// <exception cref="NetlinkException">The links, or a live veth's peer addresses, could not be read: what is not read
    /// cannot be reserved, so the caller must not hand out addresses until it can.</exception>
    private static List<FoundAttachment> UncachedVeths(NetlinkSocket host, HashSet<string> cached)
    {
        var found = new List<FoundAttachment>();
        foreach (var veth in host.ListLinks().Where(l => l.Kind == "veth" && HostVethName.IsOurs(l.Name) && !cached.Contains(l.Name) && l.PeerNetnsId is not null))
        {
            List<AddressInfo> peer;
            try
            {
                peer = Rtnetlink.ListAddressesInNamespace(veth.PeerNetnsId!.Value, veth.PeerIndex);
            }
            catch (NetlinkException ex) when (ex.IsNotFound || !host.TryGetLink(veth.Name, out _))
            {
                // The veth, its peer or its namespace went meanwhile: a pod that is gone has nothing to reserve.
                continue;
            }

            var addresses = peer.Where(a => !IsLinkLocal(a.Address)).Select(a => (a.Address, a.PrefixLength)).ToList();
            if (addresses.Count > 0)
            {
                found.Add(FoundAttachment.FromHostVeth(veth.Name, addresses));
            }
        }

        return found;
    }

    private static bool IsLinkLocal(IPAddress address) =>
        address.IsIPv6LinkLocal || address.IsIPv6Multicast || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && address.GetAddressBytes() is [169, 254, ..]);

    /// <summary>One cache file, or null when it is not an attachment of a network with a yurtnet plugin.</summary>
    internal static FoundAttachment? Read(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || Text(root, "kind") != "cniCacheV1"
            || Text(root, "containerId") is not { } containerId || Text(root, "ifName") is not { } ifName || Text(root, "networkName") is not { } network
            || !root.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.String || LocalPodNamespaceOf(config.GetBytesFromBase64()) is not { } localPodNamespace
            || !root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object
            || !result.TryGetProperty("ips", out var ips) || ips.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var addresses = new List<(IPAddress, int)>();
        foreach (var ip in ips.EnumerateArray())
        {
            if (Text(ip, "address") is { } cidr && cidr.Split('/') is [var address, var prefix]
                && AddressText.TryParse(address, out var parsed, out _) && int.TryParse(prefix, System.Globalization.CultureInfo.InvariantCulture, out var length))
            {
                addresses.Add((parsed, length));
            }
        }

        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("cniArgs", out var cniArgs) && cniArgs.ValueKind == JsonValueKind.Array)
        {
            foreach (var pair in cniArgs.EnumerateArray())
            {
                if (pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2 && pair[0].GetString() is { } key && pair[1].GetString() is { } value)
                {
                    args[key] = value;
                }
            }
        }

        var name = args.GetValueOrDefault("K8S_POD_NAME") is { Length: > 0 } n ? n : null;
        var ns = args.GetValueOrDefault("K8S_POD_NAMESPACE") is { Length: > 0 } given ? given : null;
        // As the plugin names a container the runtime knows only by name (podman): in the network's localPodNamespace.
        var local = name is not null && ns is null;
        return new FoundAttachment(containerId, ifName, network, addresses,
            local ? localPodNamespace : ns,
            name,
            args.GetValueOrDefault("K8S_POD_UID") is { Length: > 0 } uid ? uid : null,
            Text(root, "netns"),
            Plumbed: true,
            PodLocal: local);
    }

    /// <summary>
    /// The <c>localPodNamespace</c> of the yurtnet entry of a conflist (or single conf), whose addresses are ours; null
    /// when it has no yurtnet entry.
    /// </summary>
    private static string? LocalPodNamespaceOf(byte[] conf)
    {
        using var document = JsonDocument.Parse(conf);
        var root = document.RootElement;
        var entry = Text(root, "type") == "yurtnet" ? root
            : root.TryGetProperty("plugins", out var plugins) && plugins.ValueKind == JsonValueKind.Array
                ? plugins.EnumerateArray().FirstOrDefault(p => Text(p, "type") == "yurtnet")
                : default;
        return entry.ValueKind == JsonValueKind.Object ? Text(entry, "localPodNamespace") ?? "local" : null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Whether the veth exists; when netlink cannot tell, it counts as live (never freed on a guess).</summary>
    private static bool Plumbed(NetlinkSocket host, string veth)
    {
        try
        {
            return host.TryGetLink(veth, out _);
        }
        catch (NetlinkException)
        {
            return true;
        }
    }

    /// <summary>rtnetlink needs no privilege to read links; without it, every cached attachment counts as live (never freed on a guess).</summary>
    private NetlinkSocket? OpenHostNetlink()
    {
        try
        {
            return NetlinkSocket.Open();
        }
        catch (NetlinkException ex)
        {
            LogNoNetlink(logger, ex.Message);
            return null;
        }
    }
}
