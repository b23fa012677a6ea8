namespace Yurtnet.Protocol;

/// <summary>
/// Names and MACs of what a network shares with the host, derived from the network's identity alone, so that the
/// plugin (which creates them) and yurtnetd (which repairs and removes them) agree without asking each other.
/// </summary>
public static class HostNames
{
    /// <summary>A locally administered unicast MAC for a bridge, fixed so the pods' neighbour caches stay valid when it is made again.</summary>
    public static byte[] BridgeMac(string bridge)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        var h = HostVethName.Fnv1a("bridge/" + bridge);
        return [0x02, (byte)(h >> 32), (byte)(h >> 24), (byte)(h >> 16), (byte)(h >> 8), (byte)h];
    }

    /// <summary>The network's masquerade chain in the <c>inet yurtnet</c> table: its name with other characters replaced, plus a hash.</summary>
    public static string MasqueradeChain(string network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var safe = new string(network.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        if (safe.Length > 40)
        {
            safe = safe[..40];
        }

        return $"net_{safe}_{(uint)HostVethName.Fnv1a(network):x8}";
    }
}
