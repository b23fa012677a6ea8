using System.Diagnostics;
using System.Net.Sockets;

namespace Yurtnet.Protocol;

/// <summary>
/// A blocking socket stream where one deadline covers a whole exchange: before each read and write the socket's
/// timeout is set to what is left, so a peer that dribbles its answer a byte at a time cannot stretch the exchange
/// past its deadline (a plain SO_RCVTIMEO bounds each call, not their sum).
/// </summary>
internal sealed class DeadlineStream(Socket socket) : Stream
{
    private readonly NetworkStream _inner = new(socket, ownsSocket: false);
    private long _end = long.MaxValue;

    /// <summary>Starts an exchange that must end within <paramref name="timeout"/>.</summary>
    public void Start(TimeSpan timeout) => _end = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        socket.ReceiveTimeout = RemainingMilliseconds();
        return _inner.Read(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        socket.SendTimeout = RemainingMilliseconds();
        _inner.Write(buffer);
    }

    public override void Flush() => _inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>What is left in whole milliseconds (0 means no timeout to a socket, so never below 1).</summary>
    /// <exception cref="IOException">Nothing is left: the same error a socket timeout gives.</exception>
    private int RemainingMilliseconds()
    {
        var now = Stopwatch.GetTimestamp();
        if (now >= _end)
        {
            throw new IOException("deadline passed", new SocketException((int)SocketError.TimedOut));
        }

        return (int)Math.Clamp(Stopwatch.GetElapsedTime(now, _end).TotalMilliseconds, 1, int.MaxValue);
    }
}
