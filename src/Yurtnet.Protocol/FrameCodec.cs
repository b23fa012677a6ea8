using System.Buffers.Binary;

namespace Yurtnet.Protocol;

/// <summary>
/// Length-prefixed frames: a 4-byte big-endian payload length followed by that many bytes of UTF-8 JSON.
/// </summary>
public static class FrameCodec
{
    /// <summary>Largest frame either side accepts unless configured otherwise (256 KiB).</summary>
    public const int DefaultMaxFrameBytes = 256 * 1024;

    /// <summary>The length prefix: 4 bytes, big-endian.</summary>
    public const int HeaderBytes = 4;

    /// <summary>Writes one frame.</summary>
    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var frame = new byte[HeaderBytes + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame.AsMemory(HeaderBytes));
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads one frame. Returns <see langword="null"/> when the peer closed the stream before a new frame began.
    /// </summary>
    /// <exception cref="InvalidDataException">The announced length is zero, negative or above <paramref name="maxFrameBytes"/>.</exception>
    /// <exception cref="EndOfStreamException">The stream ended inside a frame.</exception>
    public static async ValueTask<byte[]?> ReadAsync(Stream stream, int maxFrameBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[HeaderBytes];
        var got = await ReadAtMostAsync(stream, header, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < HeaderBytes)
        {
            throw new EndOfStreamException($"stream ended after {got} of {HeaderBytes} frame header bytes");
        }

        var length = CheckLength(BinaryPrimitives.ReadInt32BigEndian(header), maxFrameBytes);
        var payload = new byte[length];
        got = await ReadAtMostAsync(stream, payload, cancellationToken).ConfigureAwait(false);
        if (got < length)
        {
            throw new EndOfStreamException($"stream ended after {got} of {length} frame payload bytes");
        }

        return payload;
    }

    /// <summary>Writes one frame with blocking I/O (the plugin: one request per process, no thread pool).</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var frame = new byte[HeaderBytes + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderBytes));
        stream.Write(frame);
        stream.Flush();
    }

    /// <summary>Reads one frame with blocking I/O; <see langword="null"/> when the peer closed first.</summary>
    /// <exception cref="InvalidDataException">The announced length is zero, negative or above <paramref name="maxFrameBytes"/>.</exception>
    /// <exception cref="EndOfStreamException">The stream ended inside a frame.</exception>
    public static byte[]? Read(Stream stream, int maxFrameBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[HeaderBytes];
        var got = stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false);
        if (got == 0)
        {
            return null;
        }

        if (got < HeaderBytes)
        {
            throw new EndOfStreamException($"stream ended after {got} of {HeaderBytes} frame header bytes");
        }

        var length = CheckLength(BinaryPrimitives.ReadInt32BigEndian(header), maxFrameBytes);
        var payload = new byte[length];
        got = stream.ReadAtLeast(payload, length, throwOnEndOfStream: false);
        if (got < length)
        {
            throw new EndOfStreamException($"stream ended after {got} of {length} frame payload bytes");
        }

        return payload;
    }

    /// <summary>Validates an announced payload length.</summary>
    /// <exception cref="InvalidDataException">The length is not in 1..<paramref name="maxFrameBytes"/>.</exception>
    public static int CheckLength(int length, int maxFrameBytes)
    {
        if (length <= 0)
        {
            throw new InvalidDataException($"frame length {length} is not positive");
        }

        if (length > maxFrameBytes)
        {
            throw new InvalidDataException($"frame of {length} bytes exceeds the limit of {maxFrameBytes} bytes");
        }

        return length;
    }

    private static async ValueTask<int> ReadAtMostAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
