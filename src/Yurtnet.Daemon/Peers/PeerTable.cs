namespace Yurtnet.Daemon.Peers;

/// <summary>
/// The peers learned from the cluster and the rule for changing them (pure; one owner, not thread-safe). Anything
/// yurthub may have served from its cache can add or update a peer, never withdraw one: a peer is withdrawn only on a
/// watch event (a DELETED, or a MODIFIED that leaves the scope, which only the live API server sends) or by a list
/// taken while the cloud was online that lacks it, once the watch continuing that list has confirmed the server live
/// (an event or a bookmark) with no change of the cloud state in between.
/// </summary>
internal sealed class PeerTable
{
    private readonly Dictionary<string, Peer> _peers;
    private HashSet<string>? _pendingList;

    /// <param name="stored">The table as the store kept it.</param>
    public PeerTable(IEnumerable<Peer> stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        _peers = stored.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<Peer> Peers => _peers.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();

    /// <summary>A (re)list's peers (already filtered to the scope): added or updated now; withdrawals only after <see cref="Confirm"/>.</summary>
    public PeerTableChange Listed(IReadOnlyList<Peer> listed, bool online, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(listed);
        _pendingList = online ? listed.Select(p => p.Name).ToHashSet(StringComparer.Ordinal) : null;
        var upserts = listed.Select(p => Upsert(p, now)).OfType<Peer>().ToList();
        return new PeerTableChange(upserts, []);
    }

    /// <summary>A watch event with a Node in the scope: added or updated; and the server is live.</summary>
    public PeerTableChange Seen(Peer peer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(peer);
        _pendingList?.Add(peer.Name);
        var upsert = Upsert(peer, now);
        var confirmed = Confirm();
        return new PeerTableChange(upsert is null ? confirmed.Upserts : [upsert, .. confirmed.Upserts], confirmed.Removals);
    }

    /// <summary>A watch event that takes a Node out (DELETED, or its labels no longer in the scope): withdrawn; and the server is live.</summary>
    public PeerTableChange Gone(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        _pendingList?.Remove(name);
        var confirmed = Confirm();
        return _peers.Remove(name) ? new PeerTableChange([], [name, .. confirmed.Removals]) : confirmed;
    }

    /// <summary>The live server spoke (a bookmark or an event): a pending online list now withdraws the peers it lacked.</summary>
    public PeerTableChange Confirm()
    {
        if (_pendingList is not { } listed)
        {
            return PeerTableChange.None;
        }

        _pendingList = null;
        var removals = _peers.Keys.Where(n => !listed.Contains(n)).Order(StringComparer.Ordinal).ToList();
        foreach (var name in removals)
        {
            _peers.Remove(name);
        }

        return new PeerTableChange([], removals);
    }

    /// <summary>The cloud state changed: a list not yet confirmed is no evidence of anything any more.</summary>
    public void Invalidate() => _pendingList = null;

    /// <summary>Takes <paramref name="peer"/> in; returns it as stored when that is a change, else null.</summary>
    private Peer? Upsert(Peer peer, DateTimeOffset now)
    {
        if (_peers.TryGetValue(peer.Name, out var known))
        {
            if (known.SameRoutes(peer) && known.Pool == peer.Pool)
            {
                return null;
            }

            peer = peer with { Since = known.SameRoutes(peer) ? known.Since : now };
        }
        else
        {
            peer = peer with { Since = now };
        }

        _peers[peer.Name] = peer;
        return peer;
    }
}

/// <summary>What a step of the <see cref="PeerTable"/> changed: peers to store (added or updated) and names to remove.</summary>
internal sealed record PeerTableChange(IReadOnlyList<Peer> Upserts, IReadOnlyList<string> Removals)
{
    public static PeerTableChange None { get; } = new([], []);

    public bool IsEmpty => Upserts.Count == 0 && Removals.Count == 0;
}
