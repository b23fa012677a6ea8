using LiteDB;

namespace Yurtnet.Daemon.State;

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
