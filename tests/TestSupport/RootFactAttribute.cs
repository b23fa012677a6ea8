namespace Yurtnet.TestSupport;

/// <summary>
/// A test that needs root (network namespaces, links, nftables). On a developer laptop without root it is
/// skipped with the reason; when CI=true it always runs, so CI can never go green by skipping.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (RootRequirement.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>The <see cref="RootFactAttribute"/> rule for theories.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (RootRequirement.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

internal static class RootRequirement
{
    public static bool IsRoot => Environment.UserName == "root" || Environment.GetEnvironmentVariable("EUID") == "0" || GetEuid() == 0;

    public static string? SkipReason =>
        IsRoot || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? null
            : "needs root for network namespaces, links and nftables: run 'sudo make test' (CI=true runs it always)";

    private static uint GetEuid()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return uint.MaxValue;
    }
}
