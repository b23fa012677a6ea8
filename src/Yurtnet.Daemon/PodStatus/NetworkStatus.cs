using System.Buffers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.PodStatus;

/// <summary>
/// The pod annotation <c>k8s.v1.cni.cncf.io/network-status</c> in the Network Plumbing Working Group's format: one
/// entry per attachment (network name, interface, addresses, MAC, and whether it is the pod's default network),
/// built from the pod's active leases. Deterministic, so an unchanged pod always yields the same text.
/// </summary>
internal static class NetworkStatus
{
    public const string Annotation = "k8s.v1.cni.cncf.io/network-status";

    /// <summary>The interface the runtime names the pod's primary network (kubelet's <c>eth0</c>).</summary>
    private const string DefaultInterface = "eth0";

    /// <summary>The annotation's value for these leases (only active ones count), or null when the pod has no network.</summary>
    public static string? For(IEnumerable<Lease> podLeases)
    {
        ArgumentNullException.ThrowIfNull(podLeases);
        var attachments = podLeases
            .Where(l => l.State == LeaseState.Active)
            .GroupBy(l => (l.Network, l.IfName))
            .OrderBy(g => g.Key.IfName, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Network, StringComparer.Ordinal)
            .ToList();
        if (attachments.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var attachment in attachments)
            {
                json.WriteStartObject();
                json.WriteString("name", attachment.Key.Network);
                json.WriteString("interface", attachment.Key.IfName);
                json.WriteStartArray("ips");
                foreach (var lease in attachment.OrderBy(l => l.Ip.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).ThenBy(l => l.Ip.ToString(), StringComparer.Ordinal))
                {
                    json.WriteStringValue(lease.Ip.ToString());
                }

                json.WriteEndArray();
                if (attachment.Select(l => l.Mac).FirstOrDefault(m => m is not null) is { } mac)
                {
                    json.WriteString("mac", mac);
                }

                json.WriteBoolean("default", attachment.Key.IfName == DefaultInterface);
                json.WriteStartObject("dns");
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
