using LiteDB;

namespace Yurtnet.Daemon.State;

/// <summary>
/// The Node's NetworkUnavailable condition as yurtnetd last decided it, and since when: kept so that its
/// <c>lastTransitionTime</c> stays true across restarts, and so that a change decided offline is the one written once
/// the cloud is back.
/// </summary>
internal sealed record NodeConditionRecord(bool Unavailable, string Reason, DateTimeOffset Since)
{
    internal const string Id = "nodeCondition";

    internal BsonDocument ToDocument() => new()
    {
        ["_id"] = Id,
        ["unavailable"] = Unavailable,
        ["reason"] = Reason,
        ["since"] = Since.ToUnixTimeMilliseconds(),
    };

    internal static NodeConditionRecord? FromDocument(BsonDocument? document) => document is null ? null : new(
        document["unavailable"].AsBoolean,
        document["reason"].AsString,
        DateTimeOffset.FromUnixTimeMilliseconds(document["since"].AsInt64));
}
