using System.Net;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Peers;

/// <summary>
/// Another gateway whose pods this one routes to: its pod CIDRs and the underlay addresses its traffic goes to. From
/// the static <c>nodePool.peers</c> list or from the Nodes of the NodePool.
/// </summary>
internal sealed record Peer
{
    /// <summary>The Node's name (or the name given in the static list).</summary>
    public required string Name { get; init; }

    /// <summary>The pod CIDRs the peer hands addresses from (its Node's <c>spec.podCIDRs</c>).</summary>
    public required IReadOnlyList<IPNetwork> PodCidrs { get; init; }

    /// <summary>Its underlay addresses (at most one per family): where the traffic for its pods is sent.</summary>
    public required IReadOnlyList<IPAddress> Addresses { get; init; }

    /// <summary>The NodePool it was seen in, or null (static peers, <c>scope: cluster</c>).</summary>
    public string? Pool { get; init; }

    /// <summary>From the settings file (never withdrawn but by editing it), not from the cluster.</summary>
    public bool Static { get; init; }

    /// <summary>When this peer, with these CIDRs and addresses, was first seen.</summary>
    public DateTimeOffset Since { get; init; }

    /// <summary>The underlay address of one family, or null.</summary>
    public IPAddress? Address(System.Net.Sockets.AddressFamily family) => Addresses.FirstOrDefault(a => a.AddressFamily == family);

    /// <summary>Whether the datapath for the two is the same (pod CIDRs and addresses; name, pool and times aside).</summary>
    public bool SameRoutes(Peer other) =>
        other is not null && PodCidrs.SequenceEqual(other.PodCidrs) && Addresses.SequenceEqual(other.Addresses);

    /// <summary>
    /// The first address of <paramref name="type"/> per family among a Node's addresses written <c>type=address</c>
    /// (as <see cref="NodeFacts.Addresses"/> keeps them): a gateway's underlay addresses.
    /// </summary>
    public static List<IPAddress> AddressesOfType(IEnumerable<string> typedAddresses, string type)
    {
        ArgumentNullException.ThrowIfNull(typedAddresses);
        var prefix = type + "=";
        var result = new List<IPAddress>();
        foreach (var text in typedAddresses.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)))
        {
            if (IPAddress.TryParse(text[prefix.Length..], out var address) && !result.Any(a => a.AddressFamily == address.AddressFamily))
            {
                result.Add(address);
            }
        }

        return result;
    }

    /// <summary>As the store keeps it.</summary>
    public StoredPeer ToStored() => new(Name, PodCidrs.Select(c => c.ToString()).ToList(), Addresses.Select(a => a.ToString()).ToList(), Pool, Since);

    /// <summary>A stored peer, or null when a text in it does not parse (a damaged document is not routed to).</summary>
    public static Peer? FromStored(StoredPeer stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var cidrs = stored.PodCidrs.Select(t => IPNetwork.TryParse(t, out var n) ? n : (IPNetwork?)null).ToList();
        var addresses = stored.Addresses.Select(t => IPAddress.TryParse(t, out var a) ? a : null).ToList();
        return cidrs.Any(c => c is null) || addresses.Any(a => a is null)
            ? null
            : new Peer { Name = stored.Name, PodCidrs = cidrs.Select(c => c!.Value).ToList(), Addresses = addresses.OfType<IPAddress>().ToList(), Pool = stored.Pool, Since = stored.Since };
    }

    /// <summary>One line for logs: <c>gw-b 10.22.1.0/24 via 192.168.10.12</c>.</summary>
    public override string ToString() => $"{Name} {string.Join(",", PodCidrs)} via {string.Join(",", Addresses)}";
}
