using LiteDB;

namespace Yurtnet.Daemon.State;

/// <summary>What the cluster link learned about this node, kept so that a cold boot without the cloud still serves ADD. Times are Unix milliseconds.</summary>
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

/// <summary>The last cloud state the cluster link saw, and since when.</summary>
internal sealed record CloudRecord(string State, string Detail, DateTimeOffset Since)
{
    internal const string Id = "cloud";

    internal BsonDocument ToDocument() => new()
    {
        ["_id"] = Id,
        ["state"] = State,
        ["detail"] = Detail,
        ["since"] = Since.ToUnixTimeMilliseconds(),
    };

    internal static CloudRecord? FromDocument(BsonDocument? document) => document is null ? null : new(
        document["state"].AsString,
        document["detail"].AsString,
        DateTimeOffset.FromUnixTimeMilliseconds(document["since"].AsInt64));
}
