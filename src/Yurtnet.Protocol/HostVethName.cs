namespace Yurtnet.Protocol;

/// <summary>
/// The name of an attachment's host-side veth, derived from its identity alone: the plugin creates and removes it by
/// this name without any state, and the daemon finds out from it whether an attachment is still plumbed (when it
/// rebuilds a damaged store). FNV-1a, not a cryptographic hash: nothing here is secret, and a plugin exec must not
/// load OpenSSL.
/// </summary>
public static class HostVethName
{
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary><c>yn</c> + 12 hex digits: 14 bytes, under the kernel's 15-byte limit.</summary>
    public static string For(string containerId, string ifName)
    {
        ArgumentNullException.ThrowIfNull(containerId);
        ArgumentNullException.ThrowIfNull(ifName);
        return "yn" + Fnv1a($"{containerId}/{ifName}").ToString("x16", System.Globalization.CultureInfo.InvariantCulture)[..12];
    }

    /// <summary>Whether a link name has the form of our host veths.</summary>
    public static bool IsOurs(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length == 14 && name.StartsWith("yn", StringComparison.Ordinal) && !name.AsSpan(2).ContainsAnyExcept(LowerHex);
    }

    /// <summary>64-bit FNV-1a of the UTF-8 text.</summary>
    public static ulong Fnv1a(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var h = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= 1099511628211UL;
        }

        return h;
    }
}
