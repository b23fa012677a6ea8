using LiteDB;

namespace Yurtnet.Daemon.State;

/// <summary>What the cluster link learned about this node, kept so that a cold boot without the cloud still serves ADD. Times are Unix milliseconds.</summary>
/// <param name="NodeName">The Node these facts are about.</param>
/// <param name="ObservedAt">When the cluster link last saw them.</param>
/// <param name="PodCidrs">The Node's <c>spec.podCIDRs</c>, in order.</param>
internal sealed record NodeFacts(string NodeName, IReadOnlyList<string> PodCidrs, DateTimeOffset ObservedAt)
{
    internal const string Id = "node";

    internal BsonDocument ToDocument() => new()
    {
        ["_id"] = Id,
        ["nodeName"] = NodeName,
        ["podCidrs"] = new BsonArray(PodCidrs.Select(c => new BsonValue(c))),
        ["observedAt"] = ObservedAt.ToUnixTimeMilliseconds(),
    };

    internal static NodeFacts? FromDocument(BsonDocument? document) => document is null ? null : new(
        document["nodeName"].AsString,
        document["podCidrs"].AsArray.Select(v => v.AsString).ToList(),
        DateTimeOffset.FromUnixTimeMilliseconds(document["observedAt"].AsInt64));
}
