using LiteDB;
using Yurtnet.Daemon.PodStatus;

namespace Yurtnet.Daemon.State;

/// <summary>Outbox entries as documents: _id = pod key; times are Unix milliseconds.</summary>
internal static class OutboxMapping
{
    public static BsonDocument ToDocument(OutboxEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var doc = new BsonDocument
        {
            ["_id"] = entry.PodKey,
            ["status"] = entry.Status,
            ["seq"] = entry.Sequence,
            ["since"] = entry.Since.ToUnixTimeMilliseconds(),
        };
        if (entry.PodUid is not null)
        {
            doc["podUid"] = entry.PodUid;
        }

        return doc;
    }

    public static OutboxEntry FromDocument(BsonDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        return new OutboxEntry(
            doc["_id"].AsString,
            doc["podUid"].IsString ? doc["podUid"].AsString : null,
            doc["status"].AsString,
            doc["seq"].AsInt64,
            DateTimeOffset.FromUnixTimeMilliseconds(doc["since"].AsInt64));
    }
}
