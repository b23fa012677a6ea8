using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Yurtnet.Daemon.Peers;

/// <summary>
/// The MAC of a gateway's VXLAN device, derived from its underlay address alone: every peer computes it without
/// asking anyone, and no reboot, annotation or API write ever changes it (flannel's changed at every reboot and
/// was published through the Node, so peers kept stale entries while offline).
/// </summary>
internal static class VtepMac
{
    /// <summary>
    /// Locally administered unicast: IPv4 <c>0e:79:a:b:c:d</c> (the address whole, so two gateways never share one);
    /// IPv6 <c>0e:7a:</c> and four bytes of the address's SHA-256 (a clash is refused by <see cref="PeerAdmission"/>).
    /// </summary>
    public static string For(IPAddress underlay)
    {
        ArgumentNullException.ThrowIfNull(underlay);
        var bytes = underlay.GetAddressBytes();
        byte[] mac = underlay.AddressFamily == AddressFamily.InterNetwork
            ? [0x0e, 0x79, bytes[0], bytes[1], bytes[2], bytes[3]]
            : [0x0e, 0x7a, .. SHA256.HashData(bytes).AsSpan(0, 4)];
        return string.Join(':', mac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
