using System.Net;

namespace Yurtnet.Daemon.Peers;

/// <summary>
/// Which peers may be routed to (pure): a peer needs a pod CIDR and an underlay address, and may not claim addresses
/// of this gateway or of another peer. Of two peers whose CIDRs overlap, the one already routed to keeps them (a
/// newcomer cannot take a site's traffic over), else the first by name; the other is refused with the reason.
/// </summary>
internal static class PeerAdmission
{
    public static PeerAdmissionResult Admit(IEnumerable<Peer> candidates, string? ownName, IReadOnlyList<IPNetwork> ownCidrs, IReadOnlySet<string> incumbents)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(ownCidrs);
        ArgumentNullException.ThrowIfNull(incumbents);
        var accepted = new List<Peer>();
        var refused = new List<(Peer, string)>();
        var macs = new Dictionary<string, string>(StringComparer.Ordinal);
        var ordered = candidates
            .Where(p => !string.Equals(p.Name, ownName, StringComparison.Ordinal))
            .OrderBy(p => incumbents.Contains(p.Name) ? 0 : 1)
            .ThenBy(p => p.Name, StringComparer.Ordinal);
        foreach (var peer in ordered)
        {
            var reason = Problem(peer, ownCidrs, accepted, macs);
            if (reason is null)
            {
                accepted.Add(peer);
                foreach (var address in peer.Addresses)
                {
                    macs.TryAdd(VtepMac.For(address), peer.Name);
                }
            }
            else
            {
                refused.Add((peer, reason));
            }
        }

        return new PeerAdmissionResult(accepted.OrderBy(p => p.Name, StringComparer.Ordinal).ToList(), refused);
    }

    private static string? Problem(Peer peer, IReadOnlyList<IPNetwork> ownCidrs, List<Peer> accepted, Dictionary<string, string> macs)
    {
        if (peer.PodCidrs.Count == 0)
        {
            return "has no pod CIDR yet";
        }

        if (peer.Addresses.Count == 0)
        {
            return "has no underlay address";
        }

        foreach (var cidr in peer.PodCidrs)
        {
            if (cidr.PrefixLength == 0)
            {
                return $"claims {cidr}, a default route, not a pod CIDR";
            }

            // IPNetwork is a struct: FirstOrDefault would say "0.0.0.0/0" for none.
            foreach (var own in ownCidrs.Where(own => Overlap(own, cidr)))
            {
                return $"claims {cidr}, which overlaps this gateway's pod CIDR {own}";
            }

            foreach (var other in accepted)
            {
                foreach (var taken in other.PodCidrs.Where(c => Overlap(c, cidr)))
                {
                    return $"claims {cidr}, which overlaps {taken} of peer {other.Name}";
                }
            }
        }

        foreach (var address in peer.Addresses)
        {
            if (macs.TryGetValue(VtepMac.For(address), out var twin))
            {
                return $"has the underlay address {address}, which peer {twin} has too (or whose tunnel MAC it shares)";
            }
        }

        return null;
    }

    /// <summary>Whether two networks share an address.</summary>
    public static bool Overlap(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));
}
