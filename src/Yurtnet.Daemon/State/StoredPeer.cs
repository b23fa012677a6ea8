using LiteDB;

namespace Yurtnet.Daemon.State;

/// <summary>
/// A peer gateway as the cluster link learned it (a Node of this node's NodePool), one document per peer in the
/// <c>peers</c> collection, so that an offline reboot programs the routes to the site before any API contact. Kept in
/// the texts the API server gave; the Peers component parses and checks them.
/// </summary>
/// <param name="Name">The Node's name (the document's id).</param>
/// <param name="PodCidrs">Its <c>spec.podCIDRs</c>.</param>
/// <param name="Addresses">Its underlay addresses (one per family).</param>
/// <param name="Pool">Its NodePool, or null.</param>
/// <param name="Since">When it was first seen with these CIDRs and addresses.</param>
internal sealed record StoredPeer(string Name, IReadOnlyList<string> PodCidrs, IReadOnlyList<string> Addresses, string? Pool, DateTimeOffset Since)
{
    /// <summary>Whether the two store the same (times to the millisecond, as the store keeps them).</summary>
    public bool SameAs(StoredPeer other) =>
        other is not null && Name == other.Name && PodCidrs.SequenceEqual(other.PodCidrs) && Addresses.SequenceEqual(other.Addresses)
        && Pool == other.Pool && Since.ToUnixTimeMilliseconds() == other.Since.ToUnixTimeMilliseconds();

    internal BsonDocument ToDocument()
    {
        var document = new BsonDocument
        {
            ["_id"] = Name,
            ["podCidrs"] = new BsonArray(PodCidrs.Select(c => new BsonValue(c))),
            ["addresses"] = new BsonArray(Addresses.Select(a => new BsonValue(a))),
            ["since"] = Since.ToUnixTimeMilliseconds(),
        };
        if (Pool is not null)
        {
            document["pool"] = Pool;
        }

        return document;
    }

    /// <exception cref="InvalidCastException">The document is not a peer (damaged).</exception>
    internal static StoredPeer FromDocument(BsonDocument document) => new(
        document["_id"].AsString ?? throw new InvalidCastException("a peer without a name"),
        document["podCidrs"].AsArray.Select(v => v.AsString ?? throw new InvalidCastException("a pod CIDR that is not text")).ToList(),
        document["addresses"].AsArray.Select(v => v.AsString ?? throw new InvalidCastException("an address that is not text")).ToList(),
        document.TryGetValue("pool", out var pool) && pool.IsString ? pool.AsString : null,
        DateTimeOffset.FromUnixTimeMilliseconds(document["since"].IsNumber ? document["since"].AsInt64 : throw new InvalidCastException("since is not a number")));
}
