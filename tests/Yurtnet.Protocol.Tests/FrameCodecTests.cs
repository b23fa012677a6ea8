using System.Buffers.Binary;
using System.Text;

namespace Yurtnet.Protocol.Tests;

public sealed class FrameCodecTests
{
    [Fact]
    public async Task Written_frame_reads_back_byte_for_byte()
    {
        using var stream = new MemoryStream();
        var payload = Encoding.UTF8.GetBytes("{\"v\":1,\"op\":\"leases\"}");

        await FrameCodec.WriteAsync(stream, payload, CancellationToken.None);
        stream.Position = 0;
        var read = await FrameCodec.ReadAsync(stream, FrameCodec.DefaultMaxFrameBytes, CancellationToken.None);

        Assert.Equal(payload, read);
        Assert.Equal(4 + payload.Length, stream.Length);
    }

    [Fact]
    public async Task Length_prefix_is_big_endian()
    {
        using var stream = new MemoryStream();

        await FrameCodec.WriteAsync(stream, new byte[258], CancellationToken.None);

        Assert.Equal(new byte[] { 0, 0, 1, 2 }, stream.ToArray()[..4]);
    }

    [Fact]
    public async Task Closed_stream_before_a_frame_reads_as_null()
    {
        using var stream = new MemoryStream();

        Assert.Null(await FrameCodec.ReadAsync(stream, 1024, CancellationToken.None));
    }

    [Fact]
    public async Task Frame_over_the_limit_is_rejected_without_reading_its_payload()
    {
        using var stream = new MemoryStream(Header(2048));

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => FrameCodec.ReadAsync(stream, 1024, CancellationToken.None).AsTask());

        Assert.Contains("2048 bytes exceeds the limit of 1024", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, stream.Position);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task Frame_with_non_positive_length_is_rejected(int length)
    {
        using var stream = new MemoryStream(Header(length));

        await Assert.ThrowsAsync<InvalidDataException>(() => FrameCodec.ReadAsync(stream, 1024, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Stream_ending_inside_the_header_is_an_error()
    {
        using var stream = new MemoryStream([0, 0]);

        await Assert.ThrowsAsync<EndOfStreamException>(() => FrameCodec.ReadAsync(stream, 1024, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Stream_ending_inside_the_payload_is_an_error()
    {
        using var stream = new MemoryStream([.. Header(10), 1, 2, 3]);

        await Assert.ThrowsAsync<EndOfStreamException>(() => FrameCodec.ReadAsync(stream, 1024, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Payload_arriving_in_small_pieces_is_reassembled()
    {
        var payload = Encoding.UTF8.GetBytes(new string('x', 5000));
        using var inner = new MemoryStream();
        await FrameCodec.WriteAsync(inner, payload, CancellationToken.None);
        using var trickle = new TrickleStream(inner.ToArray(), 7);

        Assert.Equal(payload, await FrameCodec.ReadAsync(trickle, 8192, CancellationToken.None));
    }

    private static byte[] Header(int length)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, length);
        return header;
    }

    /// <summary>Returns at most a few bytes per read, like a socket under load.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
