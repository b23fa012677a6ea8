using System.Buffers.Binary;

namespace Yurtnet.Netlink.Tests;

public sealed class NetlinkMessageWriterTests
{
    [Fact]
    public void Attributes_are_padded_to_four_bytes_and_nested_lengths_cover_children()
    {
        var w = new NetlinkMessageWriter();
        w.Begin(Interop.RTM_NEWLINK, Interop.NLM_F_REQUEST);
        var nest = w.BeginNested(Interop.IFLA_LINKINFO);
        w.AttributeString(Interop.IFLA_INFO_KIND, "veth");
        w.EndNested(nest);
        w.End(7);

        var bytes = w.Written;
        Assert.Equal(bytes.Length, (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]));
        Assert.Equal(0, bytes.Length % 4);
        // nested header (4) + child header (4) + "veth\0" (5) padded to 8 = 16
        Assert.Equal(16, BinaryPrimitives.ReadUInt16LittleEndian(bytes[16..]));
        Assert.Equal(Interop.IFLA_LINKINFO | Interop.NLA_F_NESTED, BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]));
    }

    [Fact]
    public void Attribute_reader_visits_every_attribute_and_stops_at_garbage()
    {
        byte[] data = [8, 0, 3, 0, (byte)'a', (byte)'b', 0, 0, 8, 0, 4, 0, 0xdc, 5, 0, 0, 0xff, 0xff];
        var seen = new List<ushort>();

        NetlinkAttributes.ForEach(data, ref seen, static (ref List<ushort> s, ushort type, ReadOnlySpan<byte> _) => s.Add(type));

        Assert.Equal(new ushort[] { 3, 4 }, seen);
    }
}
