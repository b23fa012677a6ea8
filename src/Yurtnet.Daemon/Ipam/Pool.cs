using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Yurtnet.Protocol;

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

    /// <summary>Parses a pool CIDR (<see cref="PoolCidr"/>'s rules); the problem names what is wrong.</summary>
    public static bool TryParse(string cidr, out Pool pool, out string problem)
    {
        pool = PoolCidr.TryParse(cidr, out var network, out problem) ? new Pool(network) : null!;
        return pool is not null;
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
