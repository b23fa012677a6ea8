namespace Yurtnet.Daemon.Peers;

/// <summary>
/// A Kubernetes label selector in its text form (pure): requirements joined by commas, each <c>key</c>, <c>!key</c>,
/// <c>key=value</c>, <c>key==value</c>, <c>key!=value</c>, <c>key in (a,b)</c> or <c>key notin (a,b)</c>. Sent to
/// the API server as it is and applied again here, because yurthub's offline lists ignore selectors.
/// </summary>
internal sealed class LabelSelector
{
    private readonly List<Requirement> _requirements;

    private LabelSelector(string text, List<Requirement> requirements)
    {
        Text = text;
        _requirements = requirements;
    }

    /// <summary>The selector as written (what the API server is sent).</summary>
    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="problem"/> says what is wrong.</summary>
    public static bool TryParse(string text, out LabelSelector selector, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        selector = new LabelSelector("", []);
        var requirements = new List<Requirement>();
        foreach (var part in Split(text.Trim()))
        {
            var requirement = ParseOne(part.Trim(), out problem);
            if (requirement is null)
            {
                return false;
            }

            requirements.Add(requirement);
        }

        if (requirements.Count == 0)
        {
            problem = "an empty selector";
            return false;
        }

        selector = new LabelSelector(text.Trim(), requirements);
        problem = "";
        return true;
    }

    /// <summary>Whether an object with these labels is selected.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return _requirements.All(r => r.Matches(labels));
    }

    public override string ToString() => Text;

    /// <summary>Splits at the commas outside parentheses.</summary>
    private static IEnumerable<string> Split(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        if (text.Length > 0)
        {
            yield return text[start..];
        }
    }

    private static Requirement? ParseOne(string part, out string problem)
    {
        problem = "";
        if (part.Length == 0)
        {
            problem = "an empty requirement (two commas?)";
            return null;
        }

        if (part.StartsWith('!'))
        {
            return Key(part[1..].Trim(), out problem) is { } absent ? new Requirement(absent, Operator.Absent, []) : null;
        }

        foreach (var (word, op) in new[] { (" notin ", Operator.NotIn), (" in ", Operator.In) })
        {
            var at = part.IndexOf(word, StringComparison.Ordinal);
            if (at > 0)
            {
                var set = part[(at + word.Length)..].Trim();
                if (!set.StartsWith('(') || !set.EndsWith(')'))
                {
                    problem = $"\"{part}\": the values of {word.Trim()} go in parentheses, e.g. site in (a,b)";
                    return null;
                }

                if (set[1..^1].Trim().Length == 0)
                {
                    problem = $"\"{part}\": {word.Trim()} needs at least one value, as the API server requires";
                    return null;
                }

                var values = set[1..^1].Split(',').Select(v => v.Trim()).ToList();
                if (Key(part[..at].Trim(), out problem) is not { } key)
                {
                    return null;
                }

                foreach (var value in values)
                {
                    if (!ValidValue(value, out problem))
                    {
                        return null;
                    }
                }

                return new Requirement(key, op, values);
            }
        }

        foreach (var (symbol, op) in new[] { ("!=", Operator.NotEquals), ("==", Operator.Equals), ("=", Operator.Equals) })
        {
            var at = part.IndexOf(symbol, StringComparison.Ordinal);
            if (at > 0)
            {
                var value = part[(at + symbol.Length)..].Trim();
                return Key(part[..at].Trim(), out problem) is { } key && ValidValue(value, out problem) ? new Requirement(key, op, [value]) : null;
            }
        }

        return Key(part, out problem) is { } present ? new Requirement(present, Operator.Present, []) : null;
    }

    /// <summary>A label key: an optional DNS-subdomain prefix and a slash, then a name of at most 63 characters.</summary>
    private static string? Key(string key, out string problem)
    {
        problem = "";
        var slash = key.LastIndexOf('/');
        var name = slash >= 0 ? key[(slash + 1)..] : key;
        var prefix = slash >= 0 ? key[..slash] : "";
        if (name.Length is 0 or > 63 || !IsNamePart(name) || (slash >= 0 && (prefix.Length is 0 or > 253 || !prefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))))
        {
            problem = $"\"{key}\" is not a label key (e.g. apps.openyurt.io/nodepool or site)";
            return null;
        }

        return key;
    }

    private static bool ValidValue(string value, out string problem)
    {
        problem = value.Length == 0 || (value.Length <= 63 && IsNamePart(value)) ? "" : $"\"{value}\" is not a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric)";
        return problem.Length == 0;
    }

    private static bool IsNamePart(string text) =>
        char.IsAsciiLetterOrDigit(text[0]) && char.IsAsciiLetterOrDigit(text[^1]) && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private enum Operator
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Present,
        Absent,
    }

    private sealed record Requirement(string Key, Operator Op, IReadOnlyList<string> Values)
    {
        public bool Matches(IReadOnlyDictionary<string, string> labels)
        {
            var has = labels.TryGetValue(Key, out var value);
            return Op switch
            {
                Operator.Equals or Operator.In => has && Values.Contains(value!),
                Operator.NotEquals or Operator.NotIn => !has || !Values.Contains(value!),
                Operator.Present => has,
                _ => !has,
            };
        }
    }
}
