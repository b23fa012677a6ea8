using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>
/// Names and MACs derived from identities, so that DEL and CHECK find what ADD created without any state.
/// FNV-1a is used instead of a cryptographic hash: nothing here is a secret, and a plugin exec must not load
/// OpenSSL.
/// </summary>
internal static class StableName
{
    /// <summary>The host side of an attachment's veth pair (the daemon derives it too: <see cref="HostVethName"/>).</summary>
    public static string HostVeth(string containerId, string ifName) => HostVethName.For(containerId, ifName);

    /// <summary>A locally administered unicast MAC for a bridge, fixed so the pods' neighbour caches stay valid.</summary>
    public static byte[] BridgeMac(string bridge)
    {
        var h = Hash("bridge/" + bridge);
        return [0x02, (byte)(h >> 32), (byte)(h >> 24), (byte)(h >> 16), (byte)(h >> 8), (byte)h];
    }

    /// <summary>A short, nft-safe identifier for a network: its name with other characters replaced, plus a hash.</summary>
    public static string NftChain(string network)
    {
        var safe = new string(network.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        if (safe.Length > 40)
        {
            safe = safe[..40];
        }

        return $"net_{safe}_{(uint)Hash(network):x8}";
    }

    public static ulong Hash(string text) => HostVethName.Fnv1a(text);
}
