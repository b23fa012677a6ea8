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
        return ExecuteUnlessExists(socket, $"RTM_NEWROUTE {destination} via {gateway?.ToString() ?? "-"} dev \"{link.Name}\"");
    }

    /// <summary>rtm_protocol of routes added with <c>ip route</c> and of <see cref="TryAddRoute"/>.</summary>
    public const byte ProtocolBoot = Interop.RTPROT_BOOT;

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
            var route = ParseRoute(message, v6);
            if (route is not null)
            {
                result.Add(route);
            }
        }

        return result;
    }

    /// <summary>The route the kernel would take to <paramref name="destination"/> now (<c>ip route get</c>).</summary>
    /// <exception cref="NetlinkException">No route (ENETUNREACH) or another refusal.</exception>
    public static RouteInfo GetRoute(this NetlinkSocket socket, IPAddress destination)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(destination);
        var v6 = destination.AddressFamily == AddressFamily.InterNetworkV6;
        var w = socket.Writer;
        w.Begin(Interop.RTM_GETROUTE, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.rtmsg { rtm_family = v6 ? Interop.AF_INET6 : Interop.AF_INET, rtm_dst_len = (byte)(v6 ? 128 : 32) });
        w.Attribute(Interop.RTA_DST, destination.GetAddressBytes());
        var answers = socket.Query($"RTM_GETROUTE {destination} in {socket.Where}");
        return (answers.Count > 0 ? ParseRoute(answers[0], v6, anyTable: true) : null)
            ?? throw new NetlinkException($"RTM_GETROUTE {destination} in {socket.Where}: no answer");
    }

    private static RouteInfo? ParseRoute(byte[] message, bool v6, bool anyTable = false)
    {
        var dstLen = message[1];
        var table = message[4];
        var protocol = message[5];
        var flags = BitConverter.ToUInt32(message, 8);
        var state = new RouteState();
        NetlinkAttributes.ForEach(message.AsSpan(12), ref state, static (ref RouteState s, ushort type, ReadOnlySpan<byte> payload) =>
        {
            switch (type)
            {
                case Interop.RTA_DST: s.Destination = new IPAddress(payload); break;
                case Interop.RTA_GATEWAY: s.Gateway = new IPAddress(payload); break;
                case Interop.RTA_OIF: s.Oif = (int)NetlinkAttributes.ReadU32(payload); break;
                case Interop.RTA_TABLE: s.Table = NetlinkAttributes.ReadU32(payload); break;
                case Interop.RTA_PREFSRC: s.PreferredSource = new IPAddress(payload); break;
                default: break;
            }
        });
        var effectiveTable = state.Table != 0 ? state.Table : table;
        if (!anyTable && effectiveTable != Interop.RT_TABLE_MAIN)
        {
            return null;
        }

        var destination = state.Destination ?? (v6 ? IPAddress.IPv6Any : IPAddress.Any);
        return new RouteInfo(new IPNetwork(destination, dstLen), state.Gateway, state.Oif)
        {
            Protocol = protocol,
            OnLink = (flags & Interop.RTNH_F_ONLINK) != 0,
            PreferredSource = state.PreferredSource,
        };
    }

    private static void WriteRoute(NetlinkMessageWriter w, RouteInfo route, bool remove)
    {
        var v6 = route.Destination.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        w.Begin(remove ? Interop.RTM_DELROUTE : Interop.RTM_NEWROUTE, remove
            ? (ushort)(Interop.NLM_F_REQUEST | Interop.NLM_F_ACK)
            : (ushort)(Interop.NLM_F_REQUEST | Interop.NLM_F_ACK | Interop.NLM_F_CREATE | Interop.NLM_F_REPLACE));
        w.Append(new Interop.rtmsg
        {
            rtm_family = v6 ? Interop.AF_INET6 : Interop.AF_INET,
            rtm_dst_len = (byte)route.Destination.PrefixLength,
            rtm_table = Interop.RT_TABLE_MAIN,
            rtm_protocol = route.Protocol,
            // A removal matches any scope (RT_SCOPE_NOWHERE), as ip route del does.
            rtm_scope = remove ? Interop.RT_SCOPE_NOWHERE : route.Gateway is null ? Interop.RT_SCOPE_LINK : Interop.RT_SCOPE_UNIVERSE,
            rtm_type = Interop.RTN_UNICAST,
            rtm_flags = route.OnLink ? Interop.RTNH_F_ONLINK : 0,
        });
        if (route.Destination.PrefixLength > 0)
        {
            w.Attribute(Interop.RTA_DST, route.Destination.BaseAddress.GetAddressBytes());
        }

        if (route.Gateway is not null)
        {
            w.Attribute(Interop.RTA_GATEWAY, route.Gateway.GetAddressBytes());
        }

        if (route.OutputInterface > 0)
        {
            w.AttributeU32(Interop.RTA_OIF, (uint)route.OutputInterface);
        }
    }

    private struct RouteState
    {
        public IPAddress? Destination;
        public IPAddress? Gateway;
        public IPAddress? PreferredSource;
        public int Oif;
        public uint Table;
    }
}
