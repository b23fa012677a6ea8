namespace Yurtnet.Cni;

/// <summary>The CNI spec versions this plugin speaks, and what each allows.</summary>
internal static class CniVersion
{
    public const string Latest = "1.1.0";

    public static readonly IReadOnlyList<string> Supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    public static bool IsSupported(string version) => Supported.Contains(version);

    /// <summary>CHECK exists since 0.4.0.</summary>
    public static bool AllowsCheck(string version) => Compare(version, "0.4.0") >= 0;

    /// <summary>STATUS and GC exist since 1.1.0.</summary>
    public static bool AllowsStatusAndGc(string version) => Compare(version, "1.1.0") >= 0;

    /// <summary>Results before 1.0.0 carry <c>ips[].version</c>.</summary>
    public static bool HasIpVersionField(string version) => Compare(version, "1.0.0") < 0;

    /// <summary>Interface MTU and the extra route fields exist since 1.1.0.</summary>
    public static bool HasExtendedFields(string version) => Compare(version, "1.1.0") >= 0;

    public static int Compare(string a, string b) => ParseOrZero(a).CompareTo(ParseOrZero(b));

    private static Version ParseOrZero(string v) => System.Version.TryParse(v, out var parsed) ? parsed : new Version(0, 0, 0);
}
