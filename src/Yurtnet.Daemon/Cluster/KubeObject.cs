using System.Text.Json;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// The few fields yurtnetd reads from API objects, taken from their JSON: a <c>metadata</c> field, an annotation.
/// Anything missing or of another JSON kind reads as null, never as an exception.
/// </summary>
internal static class KubeObject
{
    public static string? Metadata(JsonElement item, string field) =>
        Child(item, "metadata") is { } metadata ? Text(metadata, field) : null;

    public static string? Annotation(JsonElement item, string key) =>
        Child(item, "metadata") is { } metadata && Child(metadata, "annotations") is { } annotations ? Text(annotations, key) : null;

    private static JsonElement? Child(JsonElement parent, string property) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(property, out var child) && child.ValueKind == JsonValueKind.Object ? child : null;

    private static string? Text(JsonElement parent, string property) =>
        parent.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
