using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Yurtnet.Daemon.Configuration;

/// <summary>
/// Reads typed values from one section of yurtnetd's settings and writes every problem, with the key's full name
/// (<c>cluster.qps</c>, <c>leds[2].line</c>), into one shared list, so a bad file is reported whole at once (YARP's
/// validators do the same). Each component's options type reads its own keys with it; a bad value is reported and
/// replaced by the default, so reading always completes.
/// </summary>
internal sealed class SettingsReader
{
    private readonly IConfiguration _section;
    private readonly string _prefix;

    public SettingsReader(IConfiguration section, List<string> problems)
        : this(section, "", problems)
    {
    }

    private SettingsReader(IConfiguration section, string prefix, List<string> problems)
    {
        _section = section;
        _prefix = prefix;
        Problems = problems;
    }

    /// <summary>Every problem found so far, by any reader of the same file.</summary>
    public List<string> Problems { get; }

    /// <summary>Whether this section is in the file at all.</summary>
    public bool Exists => _section is not IConfigurationSection section || section.Exists();

    /// <summary>A reader of the section <paramref name="key"/> (<c>cluster</c>, <c>watchdog</c>).</summary>
    public SettingsReader Section(string key) => new(_section.GetSection(key), $"{_prefix}{key}.", Problems);

    /// <summary>Readers of the entries of the list <paramref name="key"/>, each named <c>key[i].</c>.</summary>
    public IEnumerable<SettingsReader> Items(string key) =>
        _section.GetSection(key).GetChildren().Select(entry => new SettingsReader(entry, $"{_prefix}{key}[{entry.Key}].", Problems));

    /// <summary>Records a problem with <paramref name="key"/> of this section.</summary>
    public void Problem(string key, string problem) => Problems.Add($"{_prefix}{key}: {problem}");

    /// <summary>Reports every key of this section that is not one of <paramref name="known"/> (case-insensitive).</summary>
    public void RejectUnknownKeys(IReadOnlyCollection<string> known)
    {
        foreach (var child in _section.GetChildren().Where(c => !known.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
        {
            Problem(child.Key, $"unknown key; known keys are {string.Join(", ", known)}");
        }
    }

    /// <summary>The raw text of <paramref name="key"/>, or null when it is absent or empty.</summary>
    public string? Text(string key) => _section[key] is { Length: > 0 } value ? value : null;

    /// <summary>The text of <paramref name="key"/> as written, empty included; null only when it is absent.</summary>
    public string? Raw(string key) => _section[key];

    public string AbsolutePath(string key, string fallback) => Parse(key, fallback, value =>
        Path.IsPathRooted(value) ? (value, null) : (fallback, $"\"{value}\" must be an absolute path"));

    /// <summary>An absolute path, or null when the key is absent.</summary>
    public string? OptionalAbsolutePath(string key) => Text(key) is null ? null : AbsolutePath(key, "");

    public TimeSpan Duration(string key, TimeSpan fallback, TimeSpan min, TimeSpan max) => Parse(key, fallback, value =>
        !TryParseDuration(value, out var parsed) ? (fallback, $"\"{value}\" is not a duration such as 10m, 30s, 500ms or 00:10:00")
        : parsed < min || parsed > max ? (fallback, $"{value} is outside {min}..{max}")
        : (parsed, null));

    public int Integer(string key, int fallback, int min, int max) => Parse(key, fallback, value =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max
            ? (parsed, null)
            : (fallback, $"\"{value}\" must be a whole number in {min}..{max}"));

    /// <summary>A number in (<paramref name="above"/>, <paramref name="max"/>]; <paramref name="meaning"/> says what it counts.</summary>
    public double Number(string key, double fallback, double above, double max, string meaning) => Parse(key, fallback, value =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed > above && parsed <= max
            ? (parsed, null)
            : (fallback, $"\"{value}\" must be {meaning}, above {above.ToString(CultureInfo.InvariantCulture)} and at most {max.ToString(CultureInfo.InvariantCulture)}"));

    public bool Boolean(string key, bool fallback) => Parse(key, fallback, value =>
        bool.TryParse(value, out var parsed) ? (parsed, null) : (fallback, $"\"{value}\" must be true or false"));

    /// <summary>An http or https URL without a path.</summary>
    public Uri HttpUri(string key, Uri fallback) => Parse(key, fallback, value =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && uri.Query.Length == 0
            ? (uri, null)
            : (fallback, $"\"{value}\" must be an http or https URL without a path, e.g. https://169.254.2.1:10268"));

    public string OneOf(string key, string fallback, IReadOnlyCollection<string> allowed) => Parse(key, fallback, value =>
        allowed.Contains(value, StringComparer.Ordinal) ? (value, null) : (fallback, $"\"{value}\" must be one of {string.Join(", ", allowed)}"));

    /// <summary>A list of texts, as a JSON list or as comma-separated text (what an environment variable can carry).</summary>
    public List<(string Key, string Text)> Texts(string key)
    {
        var section = _section.GetSection(key);
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return string.IsNullOrEmpty(section.Value)
                ? []
                : section.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part => (key, part)).ToList();
        }

        return children.Select(c => ($"{key}[{c.Key}]", c.Value ?? "")).ToList();
    }

    /// <summary>User ids, as a list or as comma-separated text (what an environment variable can carry).</summary>
    public List<uint> Uids(string key, IReadOnlyList<uint> fallback)
    {
        var section = _section.GetSection(key);
        var children = section.GetChildren().ToList();
        if (children.Count == 0 && string.IsNullOrEmpty(section.Value))
        {
            return [.. fallback];
        }

        var entries = children.Count > 0
            ? children.Select(c => (Key: $"{key}[{c.Key}]", Text: c.Value ?? ""))
            : section.Value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part => (Key: key, Text: part));
        var uids = new List<uint>();
        foreach (var (entryKey, text) in entries)
        {
            if (uint.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var uid))
            {
                uids.Add(uid);
            }
            else
            {
                Problem(entryKey, $"\"{text}\" is not a user id");
            }
        }

        return uids;
    }

    /// <summary>Parses <c>10m</c>, <c>600s</c>, <c>1h</c>, <c>500ms</c>, <c>2d</c>, a plain number of seconds, or <c>hh:mm:ss</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = default;
        text = text.Trim();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && !(suffix == "s" && text.EndsWith("ms", StringComparison.Ordinal))
                && n >= 0)
            {
                value = TimeSpan.FromSeconds(n * seconds);
                return true;
            }
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) && plain >= 0)
        {
            value = TimeSpan.FromSeconds(plain);
            return true;
        }

        return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    /// <summary>The fallback when <paramref name="key"/> is absent; the parsed value, or the fallback and a problem.</summary>
    private T Parse<T>(string key, T fallback, Func<string, (T Value, string? Problem)> parse)
    {
        if (Text(key) is not { } text)
        {
            return fallback;
        }

        var (value, problem) = parse(text);
        if (problem is not null)
        {
            Problem(key, problem);
        }

        return value;
    }
}
