using System.Buffers.Binary;
using System.Text;

namespace Yurtnet.Netlink;

/// <summary>Reads the attributes (rtattr/nlattr) of a received message.</summary>
internal static class NetlinkAttributes
{
    /// <summary>Visits every attribute in <paramref name="data"/>: (type without flag bits, payload).</summary>
    public static void ForEach<TState>(ReadOnlySpan<byte> data, ref TState state, AttributeVisitor<TState> visit)
    {
        while (data.Length >= 4)
        {
            int len = BinaryPrimitives.ReadUInt16LittleEndian(data);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(data[2..]) & 0x3fff);
            if (len < 4 || len > data.Length)
            {
                return;
            }

            visit(ref state, type, data[4..len]);
            var next = NetlinkMessageWriter.Align(len);
            if (next >= data.Length)
            {
                return;
            }

            data = data[next..];
        }
    }

    public static string ReadString(ReadOnlySpan<byte> payload)
    {
        var end = payload.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? payload[..end] : payload);
    }

    public static uint ReadU32(ReadOnlySpan<byte> payload) =>
        payload.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(payload) : 0;
}

internal delegate void AttributeVisitor<TState>(ref TState state, ushort type, ReadOnlySpan<byte> payload);
