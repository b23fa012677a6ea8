namespace Yurtnet.Cni;

/// <summary>
/// Descriptor 0, 1 or 2 through read(2) and write(2), as the runtime passed it. Not <c>Console</c>'s streams: their
/// first write initializes terminal handling and starts a signal-handling thread, a cost on every exec for a
/// process that is never interactive. Not a <c>FileStream</c>: on a regular file it writes at its own offset with
/// pwrite(2), so a log file shared with the runtime (stderr) would be overwritten, not appended to. Here the shared
/// file offset moves as with any writer; an interrupted call is made again; a non-blocking descriptor is waited for
/// (at most <see cref="WaitMilliseconds"/>); a reader that went away (EPIPE) makes writes vanish, as there is no one
/// to tell; a descriptor the runtime left closed reads as empty.
/// </summary>
internal sealed class StandardStream(int descriptor, FileAccess access) : Stream
{
    private const int WaitMilliseconds = 10_000;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle = new(descriptor, ownsHandle: false);
    private bool _readerGone;

    public override bool CanRead => access == FileAccess.Read;

    public override bool CanWrite => access == FileAccess.Write;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            var read = Interop.Read(_handle, buffer, (nuint)buffer.Length);
            if (read >= 0)
            {
                return (int)read;
            }

            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (!Retryable(errno, Interop.POLLIN))
            {
                return errno == Interop.EBADF ? 0 : throw Interop.Error($"read from descriptor {descriptor}", errno);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty && !_readerGone)
        {
            var written = Interop.Write(_handle, buffer, (nuint)buffer.Length);
            if (written >= 0)
            {
                buffer = buffer[(int)written..];
                continue;
            }

            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (!Retryable(errno, Interop.POLLOUT))
            {
                _readerGone = errno is Interop.EPIPE or Interop.EBADF ? true : throw Interop.Error($"write to descriptor {descriptor}", errno);
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Whether the call is to be made again: it was interrupted, or the descriptor is non-blocking and became ready.</summary>
    private unsafe bool Retryable(int errno, short events)
    {
        if (errno == Interop.EINTR)
        {
            return true;
        }

        if (errno != Interop.EAGAIN)
        {
            return false;
        }

        var fd = new Interop.PollFd { Fd = descriptor, Events = events };
        return Interop.Poll(&fd, 1, WaitMilliseconds) != 0
            ? true
            : throw new IOException($"descriptor {descriptor}: not ready after {WaitMilliseconds / 1000} s");
    }
}
