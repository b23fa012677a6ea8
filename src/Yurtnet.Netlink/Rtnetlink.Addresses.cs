using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Netlink;

/// <summary>rtnetlink: interface addresses.</summary>
public static partial class Rtnetlink
{
    /// <summary>Adds an address (replacing an identical one); IPv6 addresses skip duplicate address detection.</summary>
    public static void AddAddress(this NetlinkSocket socket, LinkInfo link, IPAddress address, int prefixLength)
    {
        WriteAddress(socket, Interop.RTM_NEWADDR, Interop.NLM_F_CREATE | Interop.NLM_F_REPLACE, link, address, prefixLength);
        socket.Execute($"RTM_NEWADDR {address}/{prefixLength} on \"{link.Name}\" in {socket.Where}");
    }

    /// <summary>Removes an address; false when the interface does not have it (or is gone).</summary>
    public static bool TryDeleteAddress(this NetlinkSocket socket, LinkInfo link, IPAddress address, int prefixLength)
    {
        WriteAddress(socket, Interop.RTM_DELADDR, 0, link, address, prefixLength);
        try
        {
            socket.Execute($"RTM_DELADDR {address}/{prefixLength} on \"{link.Name}\" in {socket.Where}");
            return true;
        }
        catch (NetlinkException ex) when (ex.IsNotFound || ex.Errno == Interop.EADDRNOTAVAIL)
        {
            return false;
        }
    }

    private static void WriteAddress(NetlinkSocket socket, ushort type, ushort flags, LinkInfo link, IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(address);
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var w = socket.Writer;
        w.Begin(type, (ushort)(Interop.NLM_F_REQUEST | Interop.NLM_F_ACK | flags));
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
    }

    /// <summary>Lists the addresses of one interface (both families); <paramref name="interfaceIndex"/> 0 lists every interface's.</summary>
    public static List<AddressInfo> ListAddresses(this NetlinkSocket socket, int interfaceIndex)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var w = socket.Writer;
        w.Begin(Interop.RTM_GETADDR, Interop.NLM_F_REQUEST | Interop.NLM_F_DUMP);
        w.Append(new Interop.ifaddrmsg { ifa_family = Interop.AF_UNSPEC });
        return ParseAddresses(socket.Query($"RTM_GETADDR dump in {socket.Where}"), interfaceIndex);
    }

    /// <summary>
    /// Lists the addresses of an interface in another network namespace, named by its id in this one (a veth's
    /// <see cref="LinkInfo.PeerNetnsId"/>), without entering it: <c>IFA_TARGET_NETNSID</c>, which needs CAP_NET_ADMIN
    /// over that namespace and not CAP_SYS_ADMIN (yurtnetd has only the first). On a socket of its own, because the
    /// kernel reads the attribute only from a socket that asked for strict checking of dump requests.
    /// </summary>
    public static List<AddressInfo> ListAddressesInNamespace(int netnsId, int interfaceIndex)
    {
        using var socket = NetlinkSocket.Open();
        socket.RequireStrictDumps();
        var w = socket.Writer;
        w.Begin(Interop.RTM_GETADDR, Interop.NLM_F_REQUEST | Interop.NLM_F_DUMP);
        w.Append(new Interop.ifaddrmsg { ifa_family = Interop.AF_UNSPEC, ifa_index = (uint)interfaceIndex });
        w.AttributeU32(Interop.IFA_TARGET_NETNSID, (uint)netnsId);
        return ParseAddresses(socket.Query($"RTM_GETADDR dump in netns id {netnsId}"), interfaceIndex);
    }

    private static List<AddressInfo> ParseAddresses(List<byte[]> messages, int interfaceIndex)
    {
        var result = new List<AddressInfo>();
        foreach (var message in messages)
        {
            var family = message[0];
            var prefix = message[1];
            var index = (int)BitConverter.ToUInt32(message, 4);
            if ((interfaceIndex != 0 && index != interfaceIndex) || (family != Interop.AF_INET && family != Interop.AF_INET6))
            {
                continue;
            }

            IPAddress? address = null;
            NetlinkAttributes.ForEach(message.AsSpan(8), ref address, static (ref IPAddress? a, ushort type, ReadOnlySpan<byte> payload) =>
            {
                if ((type == Interop.IFA_ADDRESS || (type == Interop.IFA_LOCAL && a is null)) && payload.Length is 4 or 16)
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

    private static byte[] Broadcast(byte[] address, int prefixLength)
    {
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address);
        var mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        var result = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(result, value | ~mask);
        return result;
    }
}
