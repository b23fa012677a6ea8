using System.Net;
using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>An allocated address in parsed form.</summary>
internal sealed record PodAddress(IPAddress Address, int PrefixLength, IPAddress Gateway, IPNetwork Pool)
{
    public static PodAddress From(AllocatedAddress allocated)
    {
        ArgumentNullException.ThrowIfNull(allocated);
        if (!ResultJson.TrySplitCidr(allocated.Address, out var address, out var prefix)
            || !IPAddress.TryParse(allocated.Gateway, out var gateway)
            || !IPNetwork.TryParse(allocated.Pool, out var pool))
        {
            throw new CniException(new CniError(CniError.Internal, $"yurtnetd answered with an unusable address {allocated.Address} gateway {allocated.Gateway} pool {allocated.Pool}"));
        }

        return new PodAddress(address, prefix, gateway, pool);
    }

    /// <summary>The network an address is in: the address with its host bits cleared.</summary>
    public static IPNetwork NetworkOf(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bytes = address.GetAddressBytes();
        for (var bit = prefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPNetwork(new IPAddress(bytes), prefixLength);
    }
}
