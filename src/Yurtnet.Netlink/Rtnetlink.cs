using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Netlink;

/// <summary>The rtnetlink operations the plugin needs: links, bridge ports, addresses and routes.</summary>
public static class Rtnetlink
{
    /// <summary>Looks a link up by name; false when it does not exist.</summary>
    public static bool TryGetLink(this NetlinkSocket socket, string name, out LinkInfo link)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var w = socket.Writer;
        w.Begin(Interop.RTM_GETLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC });
        w.AttributeString(Interop.IFLA_IFNAME, name);
        try
        {
            var answers = socket.Query($"RTM_GETLINK \"{name}\" in {socket.Where}");
            link = ParseLink(answers[0]);
            return true;
        }
        catch (NetlinkException ex) when (ex.IsNotFound)
        {
            link = null!;
            return false;
        }
    }

    /// <summary>Looks a link up by name.</summary>
    /// <exception cref="NetlinkException">It does not exist.</exception>
    public static LinkInfo GetLink(this NetlinkSocket socket, string name) =>
        socket.TryGetLink(name, out var link) ? link : throw new NetlinkException($"RTM_GETLINK \"{name}\" in {socket?.Where}", Interop.ENODEV);

    /// <summary>Creates a bridge with a fixed MAC, so its address does not change as ports come and go.</summary>
    /// <returns>False when a link of that name already existed.</returns>
    public static bool TryCreateBridge(this NetlinkSocket socket, string name, byte[] mac, int mtu)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(mac);
        var w = socket.Writer;
        w.Begin(Interop.RTM_NEWLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK | Interop.NLM_F_CREATE | Interop.NLM_F_EXCL);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC });
        w.AttributeString(Interop.IFLA_IFNAME, name);
        w.Attribute(Interop.IFLA_ADDRESS, mac);
        if (mtu > 0)
        {
            w.AttributeU32(Interop.IFLA_MTU, (uint)mtu);
        }

        var info = w.BeginNested(Interop.IFLA_LINKINFO);
        w.AttributeString(Interop.IFLA_INFO_KIND, "bridge");
        w.EndNested(info);
        try
        {
            socket.Execute($"RTM_NEWLINK bridge \"{name}\" in {socket.Where}");
            return true;
        }
        catch (NetlinkException ex) when (ex.IsAlreadyExists)
        {
            return false;
        }
    }

    /// <summary>
    /// Creates a veth pair: <paramref name="name"/> in this socket's namespace and <paramref name="peerName"/>
    /// directly in <paramref name="peerNamespace"/>, so no interface ever moves between namespaces.
    /// </summary>
    public static void CreateVethPair(this NetlinkSocket socket, string name, string peerName, NetworkNamespace peerNamespace, int mtu)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(peerNamespace);
        var w = socket.Writer;
        w.Begin(Interop.RTM_NEWLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK | Interop.NLM_F_CREATE | Interop.NLM_F_EXCL);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC });
        w.AttributeString(Interop.IFLA_IFNAME, name);
        if (mtu > 0)
        {
            w.AttributeU32(Interop.IFLA_MTU, (uint)mtu);
        }

        var info = w.BeginNested(Interop.IFLA_LINKINFO);
        w.AttributeString(Interop.IFLA_INFO_KIND, "veth");
        var data = w.BeginNested(Interop.IFLA_INFO_DATA);
        var peer = w.BeginNested(Interop.VETH_INFO_PEER);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC });
        w.AttributeString(Interop.IFLA_IFNAME, peerName);
        w.AttributeU32(Interop.IFLA_NET_NS_FD, (uint)peerNamespace.DescriptorNumber);
        if (mtu > 0)
        {
            w.AttributeU32(Interop.IFLA_MTU, (uint)mtu);
        }

        w.EndNested(peer);
        w.EndNested(data);
        w.EndNested(info);
        socket.Execute($"RTM_NEWLINK veth \"{name}\" (peer \"{peerName}\" in netns {peerNamespace.Path}) in {socket.Where}");
    }

    /// <summary>Sets a link up, and optionally attaches it to a bridge.</summary>
    public static void SetLinkUp(this NetlinkSocket socket, LinkInfo link, int masterIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(link);
        var w = socket.Writer;
        w.Begin(Interop.RTM_NEWLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC, ifi_index = link.Index, ifi_flags = Interop.IFF_UP, ifi_change = Interop.IFF_UP });
        if (masterIndex > 0)
        {
            w.AttributeU32(Interop.IFLA_MASTER, (uint)masterIndex);
        }

        socket.Execute(masterIndex > 0
            ? $"RTM_NEWLINK up \"{link.Name}\" master index {masterIndex} in {socket.Where}"
            : $"RTM_NEWLINK up \"{link.Name}\" in {socket.Where}");
    }

    /// <summary>Turns hairpin mode on a bridge port on or off.</summary>
    public static void SetHairpin(this NetlinkSocket socket, LinkInfo port, bool on)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(port);
        var w = socket.Writer;
        w.Begin(Interop.RTM_SETLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_BRIDGE, ifi_index = port.Index });
        var protinfo = w.BeginNested(Interop.IFLA_PROTINFO);
        w.AttributeU8(Interop.IFLA_BRPORT_MODE, on ? (byte)1 : (byte)0);
        w.EndNested(protinfo);
        socket.Execute($"RTM_SETLINK bridge port \"{port.Name}\" hairpin {(on ? "on" : "off")} in {socket.Where}");
    }

    /// <summary>Adds an address (replacing an identical one); IPv6 addresses skip duplicate address detection.</summary>
    public static void AddAddress(this NetlinkSocket socket, LinkInfo link, IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(address);
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var w = socket.Writer;
        w.Begin(Interop.RTM_NEWADDR, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK | Interop.NLM_F_CREATE | Interop.NLM_F_REPLACE);
        w.Append(new Interop.ifaddrmsg
        {
            ifa_family = v6 ? Interop.AF_INET6 : Interop.AF_INET,
            ifa_prefixlen = (byte)prefixLength,
            ifa_flags = v6 ? (byte)Interop.IFA_F_NODAD : (byte)0,
            ifa_index = (uint)link.Index,
        });
        var bytes = address.GetAddressBytes();
        w.Attribute(Interop.IFA_LOCAL, bytes);
        w.Attribute(Interop.IFA_ADDRESS, bytes);
        if (v6)
        {
            w.AttributeU32(Interop.IFA_FLAGS, Interop.IFA_F_NODAD);
        }
        else if (prefixLength < 31)
        {
            w.Attribute(Interop.IFA_BROADCAST, Broadcast(bytes, prefixLength));
        }

        socket.Execute($"RTM_NEWADDR {address}/{prefixLength} on \"{link.Name}\" in {socket.Where}");
    }

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

    /// <summary>Deletes a link by name; false when it was already gone.</summary>
    public static bool TryDeleteLink(this NetlinkSocket socket, string name)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var w = socket.Writer;
        w.Begin(Interop.RTM_DELLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC });
        w.AttributeString(Interop.IFLA_IFNAME, name);
        try
        {
            socket.Execute($"RTM_DELLINK \"{name}\" in {socket.Where}");
            return true;
        }
        catch (NetlinkException ex) when (ex.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>Lists the addresses of one interface (both families).</summary>
    public static List<AddressInfo> ListAddresses(this NetlinkSocket socket, int interfaceIndex)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var w = socket.Writer;
        w.Begin(Interop.RTM_GETADDR, Interop.NLM_F_REQUEST | Interop.NLM_F_DUMP);
        w.Append(new Interop.ifaddrmsg { ifa_family = Interop.AF_UNSPEC });
        var result = new List<AddressInfo>();
        foreach (var message in socket.Query($"RTM_GETADDR dump in {socket.Where}"))
        {
            var family = message[0];
            var prefix = message[1];
            var index = (int)BitConverter.ToUInt32(message, 4);
            if (index != interfaceIndex)
            {
                continue;
            }

            IPAddress? address = null;
            NetlinkAttributes.ForEach(message.AsSpan(8), ref address, static (ref IPAddress? a, ushort type, ReadOnlySpan<byte> payload) =>
            {
                if (type == Interop.IFA_ADDRESS || (type == Interop.IFA_LOCAL && a is null))
                {
                    a = new IPAddress(payload);
                }
            });
            if (address is not null && (family == Interop.AF_INET || family == Interop.AF_INET6))
            {
                result.Add(new AddressInfo(index, address, prefix));
            }
        }

        return result;
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

    /// <summary>Formats a MAC address as <c>aa:bb:cc:dd:ee:ff</c>.</summary>
    public static string FormatMac(ReadOnlySpan<byte> mac) => string.Join(':', mac.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    private static LinkInfo ParseLink(byte[] message)
    {
        var index = BitConverter.ToInt32(message, 4);
        var flags = BitConverter.ToUInt32(message, 8);
        var state = new LinkState();
        NetlinkAttributes.ForEach(message.AsSpan(16), ref state, static (ref LinkState s, ushort type, ReadOnlySpan<byte> payload) =>
        {
            switch (type)
            {
                case Interop.IFLA_IFNAME: s.Name = NetlinkAttributes.ReadString(payload); break;
                case Interop.IFLA_MTU: s.Mtu = (int)NetlinkAttributes.ReadU32(payload); break;
                case Interop.IFLA_MASTER: s.Master = (int)NetlinkAttributes.ReadU32(payload); break;
                case Interop.IFLA_ADDRESS: s.Mac = payload.Length == 6 ? FormatMac(payload) : null; break;
                case Interop.IFLA_LINKINFO:
                    NetlinkAttributes.ForEach(payload, ref s, static (ref LinkState inner, ushort t, ReadOnlySpan<byte> p) =>
                    {
                        if (t == Interop.IFLA_INFO_KIND)
                        {
                            inner.Kind = NetlinkAttributes.ReadString(p);
                        }
                    });
                    break;
                default: break;
            }
        });
        return new LinkInfo { Index = index, Name = state.Name ?? "", Flags = flags, Mtu = state.Mtu, Mac = state.Mac, MasterIndex = state.Master, Kind = state.Kind };
    }

    private static byte[] Broadcast(byte[] address, int prefixLength)
    {
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address);
        var mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        var result = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(result, value | ~mask);
        return result;
    }

    private struct LinkState
    {
        public string? Name;
        public int Mtu;
        public int Master;
        public string? Mac;
        public string? Kind;
    }

    private struct RouteState
    {
        public IPAddress? Destination;
        public IPAddress? Gateway;
        public int Oif;
        public uint Table;
    }
}
