using System.Diagnostics;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Yurtnet.Protocol;

/// <summary>
/// A client's connection to a Unix stream socket, on plain system calls, where one deadline covers a whole exchange:
/// every read and write waits (poll) at most for what is left of it, so a peer that dribbles its answer a byte at a
/// time cannot stretch the exchange past its deadline.
/// </summary>
/// <remarks>
/// Not <see cref="System.Net.Sockets.Socket"/>: the plugin is a process that lives for one request, and the first
/// Socket starts .NET's socket engine (an epoll thread) and probes the address families with three more sockets.
/// Measured on the NativeAOT plugin, that and the socket types' start-up were a tenth of a STATUS exec.
/// </remarks>
internal sealed class UnixSocketStream : Stream
{
    private readonly SafeFileHandle _fd;
    private long _end = long.MaxValue;

    private UnixSocketStream(SafeFileHandle fd) => _fd = fd;

    /// <summary>
    /// Connects to <paramref name="path"/>. A Unix socket's connect succeeds, queues in the listener's backlog (socket
    /// activation), or fails at once; only a full backlog makes it wait, and <paramref name="timeout"/> bounds that.
    /// </summary>
    /// <exception cref="IOException">The connect failed; its <see cref="Exception.HResult"/> is the errno (ENOENT,
    /// ECONNREFUSED, EAGAIN for a backlog that stayed full).</exception>
    public static unsafe UnixSocketStream Connect(string path, TimeSpan timeout)
    {
        if (PathProblem(path) is { } problem)
        {
            throw new IOException(problem);
        }

        var address = new Interop.sockaddr_un { sun_family = Interop.AF_UNIX };
        var length = Encoding.UTF8.GetBytes(path, new Span<byte>(address.sun_path, Interop.SunPathLength));
        var raw = Interop.Socket(Interop.AF_UNIX, Interop.SOCK_STREAM | Interop.SOCK_CLOEXEC, 0);
        if (raw < 0)
        {
            throw Interop.LastError("socket AF_UNIX");
        }

        var fd = new SafeFileHandle(raw, ownsHandle: true);
        try
        {
            var end = Deadline(timeout);
            while (true)
            {
                // SO_SNDTIMEO bounds a connect that waits on a full backlog; set again after a signal, to what is left.
                var limit = Timeval(Remaining(end));
                if (Interop.SetSockOpt(fd, Interop.SOL_SOCKET, Interop.SO_SNDTIMEO, &limit, (uint)sizeof(Interop.timeval)) != 0)
                {
                    throw Interop.LastError($"setsockopt SO_SNDTIMEO {path}");
                }

                if (Interop.Connect(fd, &address, (uint)(sizeof(ushort) + length + 1)) == 0)
                {
                    break;
                }

                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno != Interop.EINTR || Stopwatch.GetTimestamp() >= end)
                {
                    throw Interop.Error($"connect {path}", errno == Interop.EINTR ? Interop.EAGAIN : errno);
                }
            }

            return new UnixSocketStream(fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>What is wrong with <paramref name="path"/> as a Unix socket's path, or null.</summary>
    public static string? PathProblem(string path) =>
        Encoding.UTF8.GetByteCount(path) is var length && length >= Interop.SunPathLength
            ? $"{path} is {length} bytes long; a Unix socket's path is at most {Interop.SunPathLength - 1} bytes"
            : null;

    /// <summary>
    /// Whether the peer closed or reset the connection (or, against the protocol, sent something unasked): the socket
    /// is readable before any request went out. Checked without waiting.
    /// </summary>
    public bool PeerGone() => Poll((short)(Interop.POLLIN | Interop.POLLRDHUP), 0) != 0;

    /// <summary>Starts an exchange that must end within <paramref name="timeout"/>.</summary>
    public void Start(TimeSpan timeout) => _end = Deadline(timeout);

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

    /// <exception cref="TimeoutException">Nothing came before the deadline.</exception>
    /// <exception cref="IOException">The connection broke.</exception>
    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            var n = Interop.Recv(_fd, buffer, (nuint)buffer.Length, Interop.MSG_DONTWAIT);
            if (n >= 0)
            {
                return (int)n;
            }

            Wait(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), Interop.POLLIN, "recv");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <exception cref="TimeoutException">The peer did not take it all before the deadline.</exception>
    /// <exception cref="IOException">The connection broke.</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Interop.Send(_fd, buffer, (nuint)buffer.Length, Interop.MSG_DONTWAIT | Interop.MSG_NOSIGNAL);
            if (n >= 0)
            {
                buffer = buffer[(int)n..];
                continue;
            }

            Wait(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), Interop.POLLOUT, "send");
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
            _fd.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>After a call failed with <paramref name="errno"/>: returns to try again, or throws.</summary>
    private void Wait(int errno, short events, string call)
    {
        if (errno == Interop.EINTR)
        {
            return;
        }

        if (errno != Interop.EAGAIN)
        {
            throw Interop.Error($"{call} on the yurtnetd connection", errno);
        }

        var ready = Poll(events, RemainingMilliseconds());
        if (ready == 0)
        {
            throw new TimeoutException("deadline passed");
        }

        if (ready < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() is var pollErrno && pollErrno != Interop.EINTR)
        {
            throw Interop.Error("poll on the yurtnetd connection", pollErrno);
        }

        // Readable, writable, or an error or hang-up that the next call reports.
    }

    /// <summary><c>poll(2)</c> on this connection; the descriptor stays ours (not closed and reused) while it waits.</summary>
    private unsafe int Poll(short events, int timeoutMilliseconds)
    {
        var held = false;
        try
        {
            _fd.DangerousAddRef(ref held);
            var poll = new Interop.PollFd { Fd = (int)_fd.DangerousGetHandle(), Events = events };
            return Interop.Poll(&poll, 1, timeoutMilliseconds);
        }
        finally
        {
            if (held)
            {
                _fd.DangerousRelease();
            }
        }
    }

    /// <summary>What is left in whole milliseconds, at least 1.</summary>
    /// <exception cref="TimeoutException">Nothing is left.</exception>
    private int RemainingMilliseconds()
    {
        if (Stopwatch.GetTimestamp() >= _end)
        {
            throw new TimeoutException("deadline passed");
        }

        return (int)Math.Clamp(Math.Ceiling(Remaining(_end).TotalMilliseconds), 1, int.MaxValue);
    }

    /// <summary>The timestamp <paramref name="timeout"/> from now; an infinite or overlong timeout is no deadline.</summary>
    private static long Deadline(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero || timeout.TotalSeconds >= long.MaxValue / Stopwatch.Frequency / 2)
        {
            return long.MaxValue;
        }

        return Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    }

    private static TimeSpan Remaining(long end) =>
        end == long.MaxValue ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(Math.Min(Stopwatch.GetTimestamp(), end), end);

    private static Interop.timeval Timeval(TimeSpan timeout)
    {
        // 0 would mean "no timeout" to the kernel: never below a millisecond; no deadline is a day's wait at most.
        var micros = Math.Clamp((long)Math.Min(timeout.TotalMilliseconds * 1000, TimeSpan.FromDays(1).TotalMicroseconds), 1000, (long)TimeSpan.FromDays(1).TotalMicroseconds);
        return new Interop.timeval { tv_sec = micros / 1_000_000, tv_usec = micros % 1_000_000 };
    }
}
