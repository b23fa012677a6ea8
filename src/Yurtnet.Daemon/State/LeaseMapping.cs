using System.Globalization;
using System.Net;
using LiteDB;
using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.State;

/// <summary>
/// Explicit, versioned mapping between leases and documents (LiteDB's reflection mapper does not work under
/// NativeAOT). Schema 1: _id = address text; times are Unix milliseconds.
/// </summary>
internal static class LeaseMapping
{
    public const int Schema = 1;

    public static BsonDocument ToDocument(Lease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var doc = new BsonDocument
        {
            ["_id"] = lease.Ip.ToString(),
            ["schema"] = Schema,
            ["pool"] = lease.Pool,
            ["network"] = lease.Network,
            ["state"] = lease.State.ToString().ToLowerInvariant(),
            ["containerId"] = lease.ContainerId,
            ["ifName"] = lease.IfName,
            ["since"] = lease.Since.ToUnixTimeMilliseconds(),
            ["bootId"] = lease.BootId,
        };
        Optional(doc, "podNamespace", lease.PodNamespace);
        Optional(doc, "podName", lease.PodName);
        Optional(doc, "podUid", lease.PodUid);
        if (lease.PodLocal)
        {
            // Added without a schema change: absent reads as false (a Kubernetes pod), which every older lease is.
            doc["podLocal"] = true;
        }

        Optional(doc, "netns", lease.Netns);
        Optional(doc, "mac", lease.Mac);
        if (lease.HeldUntil is { } until)
        {
            doc["heldUntil"] = until.ToUnixTimeMilliseconds();
        }

        return doc;
    }

    public static Lease FromDocument(BsonDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var schema = doc["schema"].IsNumber ? doc["schema"].AsInt32 : 0;
        if (schema > Schema)
        {
            throw new StoreRefusedException($"lease {doc["_id"]} has schema {schema}, written by a newer yurtnet; this yurtnetd reads schema {Schema}");
        }

        if (schema != Schema)
        {
            throw new InvalidDataException($"lease {doc["_id"]} has schema {schema}, this yurtnetd reads schema {Schema}");
        }

        return new Lease
        {
            Ip = IPAddress.Parse(doc["_id"].AsString),
            Pool = doc["pool"].AsString,
            Network = doc["network"].AsString,
            State = Enum.Parse<LeaseState>(doc["state"].AsString, ignoreCase: true),
            ContainerId = doc["containerId"].AsString,
            IfName = doc["ifName"].AsString,
            PodNamespace = OptionalString(doc, "podNamespace"),
            PodName = OptionalString(doc, "podName"),
            PodUid = OptionalString(doc, "podUid"),
            PodLocal = doc["podLocal"].IsBoolean && doc["podLocal"].AsBoolean,
            Netns = OptionalString(doc, "netns"),
            Mac = OptionalString(doc, "mac"),
            Since = DateTimeOffset.FromUnixTimeMilliseconds(doc["since"].AsInt64),
            HeldUntil = doc["heldUntil"].IsNumber ? DateTimeOffset.FromUnixTimeMilliseconds(doc["heldUntil"].AsInt64) : null,
            BootId = doc["bootId"].AsString,
        };
    }

    public static BsonDocument CursorDocument(string pool, UInt128 offset) => new()
    {
        ["_id"] = CursorPrefix + pool,
        ["offset"] = offset.ToString(CultureInfo.InvariantCulture),
    };

    public const string CursorPrefix = "cursor:";

    public static KeyValuePair<string, UInt128> FromCursorDocument(BsonDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        return new(doc["_id"].AsString[CursorPrefix.Length..], UInt128.Parse(doc["offset"].AsString, CultureInfo.InvariantCulture));
    }

    private static void Optional(BsonDocument doc, string key, string? value)
    {
        if (value is not null)
        {
            doc[key] = value;
        }
    }

    private static string? OptionalString(BsonDocument doc, string key) => doc[key].IsString ? doc[key].AsString : null;
}
