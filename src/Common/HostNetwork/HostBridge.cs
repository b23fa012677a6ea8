using System.Net;
using Yurtnet.Netlink;
using Yurtnet.Protocol;

namespace Yurtnet.HostNetwork;

/// <summary>
/// A network's bridge in the host namespace, made with its fixed MAC when missing, carrying the pools' gateway
/// addresses and up. The plugin makes it for a network's first pod; yurtnetd puts it back when another program
/// removed it or its addresses. Linked into both.
/// </summary>
internal static class HostBridge
{
    /// <summary>What <see cref="Ensure"/> found and did.</summary>
    /// <param name="Link">The bridge (or, when <paramref name="IsBridge"/> is false, the other link of that name).</param>
    /// <param name="IsBridge">False when a link of that name exists and is not a bridge: nothing was changed.</param>
    /// <param name="Created">The bridge was missing and was made.</param>
    /// <param name="GatewaysAdded">Gateway addresses that were missing and were added.</param>
    /// <param name="BroughtUp">The bridge was down and was set up.</param>
    internal sealed record Outcome(LinkInfo Link, bool IsBridge, bool Created, IReadOnlyList<string> GatewaysAdded, bool BroughtUp);

    /// <summary>
    /// The bridge as it is now, and its addresses when <paramref name="withAddresses"/> (what <see cref="Ensure"/>
    /// would read first): looked at ahead, while other work is waited for.
    /// </summary>
    public static Seen Look(NetlinkSocket host, string name, bool withAddresses)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.TryGetLink(name, out var link)
            ? new Seen(link, withAddresses && link.Kind == "bridge" ? host.ListAddresses(link.Index) : null)
            : new Seen(null, null);
    }

    /// <summary>A look at the bridge (<see cref="Look"/>): null when it was missing; addresses null when not read.</summary>
    internal sealed record Seen(LinkInfo? Link, IReadOnlyList<AddressInfo>? Addresses);

    /// <summary>
    /// Makes sure the bridge exists (made with <paramref name="mtu"/> when missing), has every one of
    /// <paramref name="gateways"/> and is up. Only missing addresses are added: one address dump, no rewrite of what is
    /// there. <paramref name="seen"/>: a look taken ahead (<see cref="Look"/>), which saves reading the bridge again.
    /// </summary>
    public static Outcome Ensure(NetlinkSocket host, string name, int mtu, IReadOnlyCollection<(IPAddress Gateway, int PrefixLength)> gateways, Seen? seen = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(gateways);
        var created = false;
        LinkInfo? bridge = seen?.Link;
        if (bridge is null && !host.TryGetLink(name, out bridge))
        {
            created = host.TryCreateBridge(name, HostNames.BridgeMac(name), mtu);
            bridge = host.GetLink(name);
        }

        if (bridge.Kind != "bridge")
        {
            return new Outcome(bridge, IsBridge: false, created, [], BroughtUp: false);
        }

        var added = new List<string>();
        if (gateways.Count > 0)
        {
            var present = (created ? null : seen?.Addresses) ?? host.ListAddresses(bridge.Index);
            foreach (var (gateway, prefixLength) in gateways)
            {
                if (!present.Any(p => p.Address.Equals(gateway) && p.PrefixLength == prefixLength))
                {
                    host.AddAddress(bridge, gateway, prefixLength);
                    added.Add($"{gateway}/{prefixLength}");
                }
            }
        }

        var broughtUp = !bridge.IsUp;
        if (broughtUp)
        {
            host.SetLinkUp(bridge);
        }

        return new Outcome(bridge, IsBridge: true, created, added, broughtUp);
    }

    /// <summary>
    /// Puts the named host veths that exist and hang off another master (or none) back onto the bridge: after the bridge
    /// was deleted and made again, its old ports hang loose and their pods are cut off. Returns the ones put back.
    /// </summary>
    public static List<string> Reattach(NetlinkSocket host, LinkInfo bridge, IEnumerable<string> hostVeths)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(bridge);
        ArgumentNullException.ThrowIfNull(hostVeths);
        var reattached = new List<string>();
        foreach (var name in hostVeths)
        {
            if (host.TryGetLink(name, out var veth) && veth.MasterIndex != bridge.Index)
            {
                try
                {
                    host.SetLinkUp(veth, bridge.Index);
                    reattached.Add(name);
                }
                catch (NetlinkException ex) when (ex.IsNotFound)
                {
                    // Deleted since the look (its pod's DEL): nothing to put back.
                }
            }
        }

        return reattached;
    }
}
