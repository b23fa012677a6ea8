using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Netlink;

/// <summary>rtnetlink: VXLAN devices.</summary>
public static partial class Rtnetlink
{
    /// <summary>
    /// Creates a VXLAN device with a fixed MAC, address learning off (entries are static) and the given VNI, UDP port
    /// and local endpoint (whose family decides the tunnel's family; null: IPv4, the kernel picks the source).
    /// </summary>
    /// <returns>False when a link of that name already existed.</returns>
    public static bool TryCreateVxlan(this NetlinkSocket socket, string name, VxlanInfo settings, byte[] mac, int mtu)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(mac);
        var w = BeginNewLink(socket, name, mac, mtu);
        var info = w.BeginNested(Interop.IFLA_LINKINFO);
        w.AttributeString(Interop.IFLA_INFO_KIND, "vxlan");
        var data = w.BeginNested(Interop.IFLA_INFO_DATA);
        w.AttributeU32(Interop.IFLA_VXLAN_ID, settings.Vni);
        Span<byte> port = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(port, (ushort)settings.Port);
        w.Attribute(Interop.IFLA_VXLAN_PORT, port);
        w.AttributeU8(Interop.IFLA_VXLAN_LEARNING, settings.Learning ? (byte)1 : (byte)0);
        if (settings.Local is { } local)
        {
            w.Attribute(local.AddressFamily == AddressFamily.InterNetworkV6 ? Interop.IFLA_VXLAN_LOCAL6 : Interop.IFLA_VXLAN_LOCAL, local.GetAddressBytes());
        }

        w.EndNested(data);
        w.EndNested(info);
        return ExecuteUnlessExists(socket, $"RTM_NEWLINK vxlan \"{name}\" id {settings.Vni} dstport {settings.Port}");
    }

    /// <summary>Sets a link's MTU.</summary>
    public static void SetMtu(this NetlinkSocket socket, LinkInfo link, int mtu)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(link);
        var w = socket.Writer;
        w.Begin(Interop.RTM_NEWLINK, Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.ifinfomsg { ifi_family = Interop.AF_UNSPEC, ifi_index = link.Index });
        w.AttributeU32(Interop.IFLA_MTU, (uint)mtu);
        socket.Execute($"RTM_NEWLINK \"{link.Name}\" mtu {mtu} in {socket.Where}");
    }

    private static VxlanInfo ParseVxlan(ReadOnlySpan<byte> data)
    {
        var state = new VxlanState();
        NetlinkAttributes.ForEach(data, ref state, static (ref VxlanState s, ushort type, ReadOnlySpan<byte> p) =>
        {
            switch (type)
            {
                case Interop.IFLA_VXLAN_ID: s.Vni = NetlinkAttributes.ReadU32(p); break;
                case Interop.IFLA_VXLAN_PORT when p.Length >= 2: s.Port = BinaryPrimitives.ReadUInt16BigEndian(p); break;
                case Interop.IFLA_VXLAN_LEARNING when p.Length >= 1: s.Learning = p[0] != 0; break;
                case Interop.IFLA_VXLAN_LOCAL when p.Length == 4: s.Local = new IPAddress(p); break;
                case Interop.IFLA_VXLAN_LOCAL6 when p.Length == 16: s.Local = new IPAddress(p); break;
                default: break;
            }
        });
        return new VxlanInfo(state.Vni, state.Port, state.Learning, state.Local);
    }

    private struct VxlanState
    {
        public uint Vni;
        public int Port;
        public bool Learning;
        public IPAddress? Local;
    }
}
