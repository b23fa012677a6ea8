using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Yurtnet.Daemon.Ipam;

/// <summary>
/// An address pool: one subnet. Offsets count from the network address. The network address (offset 0), the
/// gateway (offset 1) and, for IPv4, the broadcast address (the last offset) are never allocated.
/// </summary>
internal sealed class Pool
{
    private readonly UInt128 _base;

    private Pool(IPNetwork network)
    {
        Network = network;
        IsV6 = network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        var bits = IsV6 ? 128 : 32;
        Size = network.PrefixLength == 0 ? UInt128.MaxValue : UInt128.One << (bits - network.PrefixLength);
        _base = ToInteger(network.BaseAddress);
        Gateway = AddressAt(1);
    }

    public IPNetwork Network { get; }

    public bool IsV6 { get; }

    /// <summary>Number of addresses in the subnet.</summary>
    public UInt128 Size { get; }

    public IPAddress Gateway { get; }

    public AddressFamily Family => Network.BaseAddress.AddressFamily;

    public string Cidr => Network.ToString();

    /// <summary>Number of addresses that can be given to pods.</summary>
    public UInt128 Capacity => Size - (IsV6 ? 2u : 3u);

    /// <summary>Parses a pool CIDR; the problem names what is wrong.</summary>
    public static bool TryParse(string cidr, out Pool pool, out string problem)
    {
        pool = null!;
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0
            || !IPAddress.TryParse(cidr.AsSpan(0, slash), out var address)
            || !int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix > (address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32))
        {
            problem = $"\"{cidr}\" is not a network CIDR such as 10.22.0.0/16 or fd00:22::/64";
            return false;
        }

        var network = new IPNetwork(Masked(address, prefix), prefix);
        if (!network.BaseAddress.Equals(address))
        {
            problem = $"\"{cidr}\" has host bits set; the network is {network}";
            return false;
        }

        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if ((!v6 && prefix > 30) || (v6 && prefix > 126))
        {
            problem = $"\"{cidr}\" is too small for a gateway and pods";
            return false;
        }

        pool = new Pool(network);
        problem = "";
        return true;
    }

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - bits));
        }

        return new IPAddress(bytes);
    }

    public bool IsReserved(UInt128 offset) => offset == 0 || offset == 1 || (!IsV6 && offset == Size - 1) || offset >= Size;

    public IPAddress AddressAt(UInt128 offset) => FromInteger(_base + offset, IsV6);

    public bool Contains(IPAddress address) => Network.Contains(address);

    public UInt128 OffsetOf(IPAddress address) => ToInteger(address) - _base;

    private static UInt128 ToInteger(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4
            ? BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static IPAddress FromInteger(UInt128 value, bool v6)
    {
        if (!v6)
        {
            Span<byte> four = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(four, (uint)value);
            return new IPAddress(four);
        }

        Span<byte> sixteen = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(sixteen, value);
        return new IPAddress(sixteen);
    }
}
