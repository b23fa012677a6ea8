using LiteDB;

namespace Yurtnet.Daemon.State;

/// <summary>What the cluster link learned about this node, kept so that a cold boot without the cloud still serves ADD and routes to its peers. Times are Unix milliseconds.</summary>
/// <param name="NodeName">The Node these facts are about.</param>
/// <param name="PodCidrs">The Node's <c>spec.podCIDRs</c>, in order.</param>
/// <param name="ObservedAt">When the cluster link last saw them.</param>
internal sealed record NodeFacts(string NodeName, IReadOnlyList<string> PodCidrs, DateTimeOffset ObservedAt)
{
    internal const string Id = "node";

    /// <summary>The Node's <c>apps.openyurt.io/nodepool</c> label, or null.</summary>
    public string? Pool { get; init; }

    /// <summary>The Node's <c>status.addresses</c>, as <c>type=address</c> (e.g. <c>InternalIP=192.168.10.11</c>), in order.</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>Whether the two say the same about the node (the observation time aside).</summary>
    public bool SameAs(NodeFacts other) =>
        other is not null && NodeName == other.NodeName && PodCidrs.SequenceEqual(other.PodCidrs) && Pool == other.Pool && Addresses.SequenceEqual(other.Addresses);

    internal BsonDocument ToDocument()
    {
        var document = new BsonDocument
        {
            ["_id"] = Id,
            ["nodeName"] = NodeName,
            ["podCidrs"] = new BsonArray(PodCidrs.Select(c => new BsonValue(c))),
            ["addresses"] = new BsonArray(Addresses.Select(a => new BsonValue(a))),
            ["observedAt"] = ObservedAt.ToUnixTimeMilliseconds(),
        };
        if (Pool is not null)
        {
            document["pool"] = Pool;
        }

        return document;
    }

    /// <summary>The document's facts; fields added by later versions (pool, addresses) may be missing.</summary>
    internal static NodeFacts? FromDocument(BsonDocument? document) => document is null ? null : new(
        document["nodeName"].AsString,
        document["podCidrs"].AsArray.Select(v => v.AsString).ToList(),
        DateTimeOffset.FromUnixTimeMilliseconds(document["observedAt"].AsInt64))
    {
        Pool = document.TryGetValue("pool", out var pool) && pool.IsString ? pool.AsString : null,
        Addresses = document.TryGetValue("addresses", out var addresses) && addresses.IsArray ? addresses.AsArray.Select(v => v.AsString).ToList() : [],
    };
}
