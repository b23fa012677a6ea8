using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Netlink;

/// <summary>rtnetlink: neighbour entries and a VXLAN device's forwarding database.</summary>
public static partial class Rtnetlink
{
    /// <summary>Lists the permanent neighbour entries (both families) of one interface.</summary>
    public static List<NeighbourInfo> ListNeighbours(this NetlinkSocket socket, int interfaceIndex)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var result = new List<NeighbourInfo>();
        foreach (var (family, index, state, _, destination, mac) in DumpNeighbours(socket, Interop.AF_UNSPEC))
        {
            if (index == interfaceIndex && (family == Interop.AF_INET || family == Interop.AF_INET6)
                && (state & Interop.NUD_PERMANENT) != 0 && destination is not null && mac is not null)
            {
                result.Add(new NeighbourInfo(index, destination, mac));
            }
        }

        return result;
    }

    /// <summary>Lists the forwarding entries with a tunnel destination (<c>bridge fdb show dev ...</c>) of one VXLAN device.</summary>
    public static List<ForwardingInfo> ListForwardingEntries(this NetlinkSocket socket, int interfaceIndex)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var result = new List<ForwardingInfo>();
        foreach (var (_, index, _, _, destination, mac) in DumpNeighbours(socket, Interop.AF_BRIDGE))
        {
            if (index == interfaceIndex && destination is not null && mac is not null)
            {
                result.Add(new ForwardingInfo(index, mac, destination));
            }
        }

        return result;
    }

    private static List<(byte Family, int Index, ushort State, byte Flags, IPAddress? Destination, string? Mac)> DumpNeighbours(NetlinkSocket socket, byte family)
    {
        var w = socket.Writer;
        w.Begin(Interop.RTM_GETNEIGH, Interop.NLM_F_REQUEST | Interop.NLM_F_DUMP);
        w.Append(new Interop.ndmsg { ndm_family = family });
        var result = new List<(byte, int, ushort, byte, IPAddress?, string?)>();
        foreach (var message in socket.Query($"RTM_GETNEIGH dump in {socket.Where}"))
        {
            var state = new NeighbourState();
            NetlinkAttributes.ForEach(message.AsSpan(12), ref state, static (ref NeighbourState s, ushort type, ReadOnlySpan<byte> payload) =>
            {
                switch (type)
                {
                    case Interop.NDA_DST when payload.Length is 4 or 16: s.Destination = new IPAddress(payload); break;
                    case Interop.NDA_LLADDR when payload.Length == 6: s.Mac = FormatMac(payload); break;
                    default: break;
                }
            });
            result.Add((message[0], BitConverter.ToInt32(message, 4), BitConverter.ToUInt16(message, 8), message[10], state.Destination, state.Mac));
        }

        return result;
    }

    private static void WriteNeighbour(NetlinkMessageWriter w, NeighbourInfo neighbour, bool remove)
    {
        w.Begin(remove ? Interop.RTM_DELNEIGH : Interop.RTM_NEWNEIGH, remove
            ? (ushort)(Interop.NLM_F_REQUEST | Interop.NLM_F_ACK)
            : (ushort)(Interop.NLM_F_REQUEST | Interop.NLM_F_ACK | Interop.NLM_F_CREATE | Interop.NLM_F_REPLACE));
        w.Append(new Interop.ndmsg
        {
            ndm_family = neighbour.Address.AddressFamily == AddressFamily.InterNetworkV6 ? Interop.AF_INET6 : Interop.AF_INET,
            ndm_ifindex = neighbour.Interface,
            ndm_state = Interop.NUD_PERMANENT,
        });
        w.Attribute(Interop.NDA_DST, neighbour.Address.GetAddressBytes());
        if (!remove)
        {
            w.Attribute(Interop.NDA_LLADDR, ParseMac(neighbour.Mac));
        }
    }

    private static void WriteForwarding(NetlinkMessageWriter w, ForwardingInfo entry, bool remove)
    {
        w.Begin(remove ? Interop.RTM_DELNEIGH : Interop.RTM_NEWNEIGH, remove
            ? (ushort)(Interop.NLM_F_REQUEST | Interop.NLM_F_ACK)
            : (ushort)(Interop.NLM_F_REQUEST | Interop.NLM_F_ACK | Interop.NLM_F_CREATE | Interop.NLM_F_REPLACE));
        w.Append(new Interop.ndmsg
        {
            ndm_family = Interop.AF_BRIDGE,
            ndm_ifindex = entry.Interface,
            ndm_state = Interop.NUD_PERMANENT | Interop.NUD_NOARP,
            ndm_flags = Interop.NTF_SELF,
        });
        w.Attribute(Interop.NDA_LLADDR, ParseMac(entry.Mac));
        w.Attribute(Interop.NDA_DST, entry.Destination.GetAddressBytes());
    }

    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c>.</summary>
    /// <exception cref="FormatException">Not six colon-separated hex bytes.</exception>
    public static byte[] ParseMac(string mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        var parts = mac.Split(':');
        if (parts.Length != 6)
        {
            throw new FormatException($"\"{mac}\" is not a MAC address (six hex bytes separated by colons)");
        }

        return parts.Select(p => byte.Parse(p, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private struct NeighbourState
    {
        public IPAddress? Destination;
        public string? Mac;
    }
}
