using System.Text.Json;

namespace Yurtnet.Cni;

/// <summary>Typed access to optional members; a member of the wrong type is reported by its key.</summary>
internal readonly struct ConfFieldReader(JsonElement element, List<string> problems, string prefix = "")
{
    public string? String(string key) => Get(key, JsonValueKind.String, "a string") is { } e ? e.GetString() : null;

    public bool? Bool(string key)
    {
        if (!element.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return e.GetBoolean();
        }

        problems.Add($"{prefix}{key}: expected true or false, got {Describe(e)}");
        return null;
    }

    public int? Int(string key)
    {
        if (Get(key, JsonValueKind.Number, "a number") is not { } e)
        {
            return null;
        }

        if (e.TryGetInt32(out var n))
        {
            return n;
        }

        problems.Add($"{prefix}{key}: expected a whole number, got {e.GetRawText()}");
        return null;
    }

    public TimeSpan? Seconds(string key, double min, double max)
    {
        if (Get(key, JsonValueKind.Number, "a number of seconds") is not { } e)
        {
            return null;
        }

        var s = e.GetDouble();
        if (s < min || s > max)
        {
            problems.Add($"{prefix}{key}: {s} is outside {min}..{max} seconds");
            return null;
        }

        return TimeSpan.FromSeconds(s);
    }

    public string? AbsolutePath(string key)
    {
        var path = String(key);
        if (path is not null && !Path.IsPathRooted(path))
        {
            problems.Add($"{prefix}{key}: \"{path}\" must be an absolute path");
            return null;
        }

        return path;
    }

    public string? RawObject(string key)
    {
        var e = Get(key, JsonValueKind.Object, "an object");
        return e?.GetRawText();
    }

    private JsonElement? Get(string key, JsonValueKind kind, string expected)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind != kind)
        {
            problems.Add($"{prefix}{key}: expected {expected}, got {Describe(e)}");
            return null;
        }

        return e;
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{e.GetString()}\"",
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        _ => $"an {e.ValueKind.ToString().ToLowerInvariant()}",
    };
}
