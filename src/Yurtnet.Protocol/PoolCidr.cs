using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Protocol;

/// <summary>
/// What makes a subnet usable as an address pool, for the plugin (which checks the conflist) and the daemon (which
/// checks what arrives on the wire) alike: a network address, and room for a gateway and pods.
/// </summary>
public static class PoolCidr
{
    /// <summary>Parses <paramref name="text"/> as a pool; on failure <paramref name="problem"/> says what to fix.</summary>
    public static bool TryParse(string text, out IPNetwork network, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0
            || !AddressText.TryParse(text[..slash], out var address, out _)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix > (address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32))
        {
            problem = $"\"{text}\" is not a CIDR such as 10.22.0.0/16 or fd00:22::/64";
            return false;
        }

        // IPNetwork itself would accept "10.22.0.5/16"; a pool must be written as its network address.
        var masked = new IPNetwork(Masked(address, prefix), prefix);
        if (!masked.BaseAddress.Equals(address))
        {
            problem = $"\"{text}\" has host bits set; use {masked}";
            return false;
        }

        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if ((!v6 && prefix > 30) || (v6 && prefix > 126))
        {
            problem = $"\"{text}\" is too small for a gateway and pods; use /{(v6 ? 126 : 30)} or larger";
            return false;
        }

        network = masked;
        problem = "";
        return true;
    }

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - bits));
        }

        return new IPAddress(bytes);
    }
}
