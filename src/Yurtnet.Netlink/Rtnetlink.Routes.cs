using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Netlink;

/// <summary>rtnetlink: main-table routes.</summary>
public static partial class Rtnetlink
{
    /// <summary>Adds a main-table route; false when the same route already exists.</summary>
    public static bool TryAddRoute(this NetlinkSocket socket, IPNetwork destination, IPAddress? gateway, LinkInfo link)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(link);
        var v6 = destination.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        var w = socket.Writer;
        w.Begin(Interop.RTM_NEWROUTE, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK | Interop.NLM_F_CREATE | Interop.NLM_F_EXCL);
        w.Append(new Interop.rtmsg
        {
            rtm_family = v6 ? Interop.AF_INET6 : Interop.AF_INET,
            rtm_dst_len = (byte)destination.PrefixLength,
            rtm_table = Interop.RT_TABLE_MAIN,
            rtm_protocol = Interop.RTPROT_BOOT,
            rtm_scope = Interop.RT_SCOPE_UNIVERSE,
            rtm_type = Interop.RTN_UNICAST,
        });
        if (destination.PrefixLength > 0)
        {
            w.Attribute(Interop.RTA_DST, destination.BaseAddress.GetAddressBytes());
        }

        if (gateway is not null)
        {
            w.Attribute(Interop.RTA_GATEWAY, gateway.GetAddressBytes());
        }

        w.AttributeU32(Interop.RTA_OIF, (uint)link.Index);
        try
        {
            socket.Execute($"RTM_NEWROUTE {destination} via {gateway?.ToString() ?? "-"} dev \"{link.Name}\" in {socket.Where}");
            return true;
        }
        catch (NetlinkException ex) when (ex.IsAlreadyExists)
        {
            return false;
        }
    }

    /// <summary>Lists the main-table routes of one family.</summary>
    public static List<RouteInfo> ListRoutes(this NetlinkSocket socket, AddressFamily family)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var v6 = family == AddressFamily.InterNetworkV6;
        var w = socket.Writer;
        w.Begin(Interop.RTM_GETROUTE, Interop.NLM_F_REQUEST | Interop.NLM_F_DUMP);
        w.Append(new Interop.rtmsg { rtm_family = v6 ? Interop.AF_INET6 : Interop.AF_INET });
        var result = new List<RouteInfo>();
        foreach (var message in socket.Query($"RTM_GETROUTE dump in {socket.Where}"))
        {
            var dstLen = message[1];
            var table = message[4];
            var state = new RouteState();
            NetlinkAttributes.ForEach(message.AsSpan(12), ref state, static (ref RouteState s, ushort type, ReadOnlySpan<byte> payload) =>
            {
                switch (type)
                {
                    case Interop.RTA_DST: s.Destination = new IPAddress(payload); break;
                    case Interop.RTA_GATEWAY: s.Gateway = new IPAddress(payload); break;
                    case Interop.RTA_OIF: s.Oif = (int)NetlinkAttributes.ReadU32(payload); break;
                    case Interop.RTA_TABLE: s.Table = NetlinkAttributes.ReadU32(payload); break;
                    default: break;
                }
            });
            var effectiveTable = state.Table != 0 ? state.Table : table;
            if (effectiveTable != Interop.RT_TABLE_MAIN)
            {
                continue;
            }

            var destination = state.Destination ?? (v6 ? IPAddress.IPv6Any : IPAddress.Any);
            result.Add(new RouteInfo(new IPNetwork(destination, dstLen), state.Gateway, state.Oif));
        }

        return result;
    }

    private struct RouteState
    {
        public IPAddress? Destination;
        public IPAddress? Gateway;
        public int Oif;
        public uint Table;
    }
}
