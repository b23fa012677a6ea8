namespace Yurtnet.Netlink;

/// <summary>The rtnetlink operations the plugin needs: links and bridge ports here, addresses and routes in the partials.</summary>
public static partial class Rtnetlink
{
    /// <summary>Looks a link up by name; false when it does not exist.</summary>
    public static bool TryGetLink(this NetlinkSocket socket, string name, out LinkInfo link) =>
        TryQueryLink(socket, 0, name, $"RTM_GETLINK \"{name}\"", out link);

    /// <summary>Looks a link up by index; false when it does not exist.</summary>
    public static bool TryGetLink(this NetlinkSocket socket, int index, out LinkInfo link) =>
        TryQueryLink(socket, index, null, $"RTM_GETLINK index {index}", out link);

    private static bool TryQueryLink(NetlinkSocket socket, int index, string? name, string what, out LinkInfo link)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var w = socket.Writer;
        w.Begin(Interop.RTM_GETLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC, ifi_index = index });
        if (name is not null)
        {
            w.AttributeString(Interop.IFLA_IFNAME, name);
        }

        try
        {
            link = ParseLink(socket.Query($"{what} in {socket.Where}")[0]);
            return true;
        }
        catch (NetlinkException ex) when (ex.IsNotFound)
        {
            link = null!;
            return false;
        }
    }

    /// <summary>Sends the request being written; false when the kernel answers that the object exists already.</summary>
    private static bool ExecuteUnlessExists(NetlinkSocket socket, string what)
    {
        try
        {
            socket.Execute($"{what} in {socket.Where}");
            return true;
        }
        catch (NetlinkException ex) when (ex.IsAlreadyExists)
        {
            return false;
        }
    }

    /// <summary>Every link of the namespace (one dump).</summary>
    public static List<LinkInfo> ListLinks(this NetlinkSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var w = socket.Writer;
        w.Begin(Interop.RTM_GETLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_DUMP);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC });
        return socket.Query($"RTM_GETLINK dump in {socket.Where}").Select(ParseLink).ToList();
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
        var w = BeginNewLink(socket, name, mac, mtu);
        var info = w.BeginNested(Interop.IFLA_LINKINFO);
        w.AttributeString(Interop.IFLA_INFO_KIND, "bridge");
        w.EndNested(info);
        return ExecuteUnlessExists(socket, $"RTM_NEWLINK bridge \"{name}\"");
    }

    /// <summary>
    /// Creates a veth pair: <paramref name="name"/> in this socket's namespace and <paramref name="peerName"/>
    /// directly in <paramref name="peerNamespace"/>, so no interface ever moves between namespaces.
    /// </summary>
    public static void CreateVethPair(this NetlinkSocket socket, string name, string peerName, NetworkNamespace peerNamespace, int mtu)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(peerNamespace);
        var w = BeginNewLink(socket, name, null, mtu);
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

    /// <summary>Sets a link's MAC address (a veth takes it while up).</summary>
    public static void SetLinkMac(this NetlinkSocket socket, LinkInfo link, byte[] mac)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(mac);
        var w = socket.Writer;
        w.Begin(Interop.RTM_NEWLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC, ifi_index = link.Index });
        w.Attribute(Interop.IFLA_ADDRESS, mac);
        socket.Execute($"RTM_NEWLINK \"{link.Name}\" address {FormatMac(mac)} in {socket.Where}");
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

    /// <summary>Starts an RTM_NEWLINK that creates <paramref name="name"/> (and fails if it exists), with a fixed MAC and an MTU when given.</summary>
    private static NetlinkMessageWriter BeginNewLink(NetlinkSocket socket, string name, byte[]? mac, int mtu)
    {
        var w = socket.Writer;
        w.Begin(Interop.RTM_NEWLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK | Interop.NLM_F_CREATE | Interop.NLM_F_EXCL);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC });
        w.AttributeString(Interop.IFLA_IFNAME, name);
        if (mac is not null)
        {
            w.Attribute(Interop.IFLA_ADDRESS, mac);
        }

        if (mtu > 0)
        {
            w.AttributeU32(Interop.IFLA_MTU, (uint)mtu);
        }

        return w;
    }

    /// <summary>Formats a MAC address as <c>aa:bb:cc:dd:ee:ff</c>.</summary>
    public static string FormatMac(ReadOnlySpan<byte> mac) => string.Join(':', mac.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    internal static LinkInfo ParseLink(byte[] message)
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
                case Interop.IFLA_LINK: s.Peer = (int)NetlinkAttributes.ReadU32(payload); break;
                case Interop.IFLA_LINK_NETNSID: s.PeerNetnsId = payload.Length >= 4 ? (int)NetlinkAttributes.ReadU32(payload) : null; break;
                case Interop.IFLA_ADDRESS: s.Mac = payload.Length == 6 ? FormatMac(payload) : null; break;
                case Interop.IFLA_LINKINFO:
                    NetlinkAttributes.ForEach(payload, ref s, static (ref LinkState inner, ushort t, ReadOnlySpan<byte> p) =>
                    {
                        if (t == Interop.IFLA_INFO_KIND)
                        {
                            inner.Kind = NetlinkAttributes.ReadString(p);
                        }
                        else if (t == Interop.IFLA_INFO_DATA && inner.Kind == "vxlan")
                        {
                            inner.Vxlan = ParseVxlan(p);
                        }
                    });
                    break;
                default: break;
            }
        });
        return new LinkInfo
        {
            Index = index, Name = state.Name ?? "", Flags = flags, Mtu = state.Mtu, Mac = state.Mac, MasterIndex = state.Master, Kind = state.Kind, Vxlan = state.Vxlan,
            PeerIndex = state.Peer, PeerNetnsId = state.PeerNetnsId,
        };
    }

    private struct LinkState
    {
        public string? Name;
        public int Mtu;
        public int Master;
        public string? Mac;
        public string? Kind;
        public VxlanInfo? Vxlan;
        public int Peer;
        public int? PeerNetnsId;
    }


}
