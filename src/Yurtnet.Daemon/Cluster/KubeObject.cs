using System.Text.Json;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// The few fields yurtnetd reads from API objects, taken from their JSON: a <c>metadata</c> field, an annotation.
/// Anything missing or of another JSON kind reads as null, never as an exception.
/// </summary>
internal static class KubeObject
{
    /// <summary>A time as the API server writes one (RFC 3339, seconds, UTC).</summary>
    public static string Rfc3339(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string? Metadata(JsonElement item, string field) =>
        Child(item, "metadata") is { } metadata ? Text(metadata, field) : null;

    public static string? Annotation(JsonElement item, string key) =>
        Child(item, "metadata") is { } metadata && Child(metadata, "annotations") is { } annotations ? Text(annotations, key) : null;

    public static string? Label(JsonElement item, string key) =>
        Child(item, "metadata") is { } metadata && Child(metadata, "labels") is { } labels ? Text(labels, key) : null;

    /// <summary>Every label, or none.</summary>
    public static IReadOnlyDictionary<string, string> Labels(JsonElement item)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Child(item, "metadata") is { } metadata && Child(metadata, "labels") is { } labels)
        {
            foreach (var label in labels.EnumerateObject().Where(l => l.Value.ValueKind == JsonValueKind.String))
            {
                result[label.Name] = label.Value.GetString()!;
            }
        }

        return result;
    }

    /// <summary>A Node's <c>status.addresses</c> as <c>type=address</c> texts, in order (malformed entries left out).</summary>
    public static List<string> NodeAddresses(JsonElement node)
    {
        var result = new List<string>();
        if (Child(node, "status") is { } status && status.TryGetProperty("addresses", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object))
            {
                if (Text(entry, "type") is { } type && Text(entry, "address") is { } address)
                {
                    result.Add($"{type}={address}");
                }
            }
        }

        return result;
    }

    private static JsonElement? Child(JsonElement parent, string property) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(property, out var child) && child.ValueKind == JsonValueKind.Object ? child : null;

    private static string? Text(JsonElement parent, string property) =>
        parent.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
