using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Yurtnet.Netlink;

/// <summary>
/// A NETLINK_ROUTE socket. It acts in the network namespace it was created in, whichever thread uses it later;
/// <see cref="NetworkNamespace.OpenRouteSocket"/> relies on that. Not thread-safe: one request at a time.
/// </summary>
public sealed class NetlinkSocket : IDisposable
{
    private const int ReceiveBufferSize = 64 * 1024;
    private readonly SafeFileDescriptor _fd;
    private readonly byte[] _receive = new byte[ReceiveBufferSize];
    private uint _sequence;

    internal NetlinkMessageWriter Writer { get; } = new();

    private NetlinkSocket(SafeFileDescriptor fd, string where)
    {
        _fd = fd;
        Where = where;
    }

    /// <summary>Where this socket acts, for messages: "host" or "netns PATH".</summary>
    public string Where { get; }

    /// <summary>Opens a socket in the calling thread's network namespace.</summary>
    public static NetlinkSocket Open(string where = "host") => Open(where, groups: 0);

    /// <summary>Opens a socket that also receives the kernel's multicast notifications of <paramref name="groups"/> (RTMGRP_*).</summary>
    internal static NetlinkSocket Open(string where, uint groups, int protocol = Interop.NETLINK_ROUTE)
    {
        var raw = Interop.Socket(Interop.AF_NETLINK, Interop.SOCK_RAW | Interop.SOCK_CLOEXEC, protocol);
        if (raw < 0)
        {
            throw new NetlinkException($"socket(AF_NETLINK, {(protocol == Interop.NETLINK_ROUTE ? "NETLINK_ROUTE" : "NETLINK_NETFILTER")})", Marshal.GetLastPInvokeError());
        }

        var fd = new SafeFileDescriptor(raw);
        try
        {
            unsafe
            {
                var one = 1;
                // Ask for the kernel's own error text (extack) and no echo of our request in error replies.
                _ = Interop.SetSockOpt(fd, Interop.SOL_NETLINK, Interop.NETLINK_EXT_ACK, &one, sizeof(int));
                _ = Interop.SetSockOpt(fd, Interop.SOL_NETLINK, Interop.NETLINK_CAP_ACK, &one, sizeof(int));
                var address = new Interop.sockaddr_nl { nl_family = Interop.AF_NETLINK, nl_groups = groups };
                if (Interop.Bind(fd, &address, sizeof(Interop.sockaddr_nl)) != 0)
                {
                    throw new NetlinkException("bind(AF_NETLINK)", Marshal.GetLastPInvokeError());
                }
            }

            return new NetlinkSocket(fd, where);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Asks the kernel to check dump requests strictly, which is what makes it read their filters (a target namespace).</summary>
    internal unsafe void RequireStrictDumps()
    {
        var one = 1;
        if (Interop.SetSockOpt(_fd, Interop.SOL_NETLINK, Interop.NETLINK_GET_STRICT_CHK, &one, sizeof(int)) != 0)
        {
            throw new NetlinkException("setsockopt(NETLINK_GET_STRICT_CHK)", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Sends the request in <see cref="Writer"/> (which must ask for an ACK) and waits for the ACK.</summary>
    internal void Execute(string operation) => Exchange(operation, null);

    /// <summary>Sends the request in <see cref="Writer"/> and returns the payloads (after the netlink header) of the answers.</summary>
    /// <remarks>
    /// A dump that a change interrupted (<c>NLM_F_DUMP_INTR</c>: a link or address came or went between two parts of
    /// it) may have missed an object; it is asked again, up to three times in all, then reported as an error.
    /// </remarks>
    internal List<byte[]> Query(string operation)
    {
        for (var attempt = 1; ; attempt++)
        {
            var answers = new List<byte[]>();
            try
            {
                Exchange(operation, answers);
                return answers;
            }
            catch (NetlinkException ex) when (ex.Errno == Interop.EINTR && attempt < 3)
            {
                // Asked again: the request is still in the writer, with a new sequence number.
            }
        }
    }

    /// <summary>
    /// Sends many requests, each asking for an ACK, 64 to a send, and
    /// waits for every ACK. <paramref name="write"/> writes request <c>i</c> (starting it with <c>Writer.Begin</c>);
    /// returns the requests the kernel refused, each with its error; the others were applied.
    /// </summary>
    internal List<(int Index, NetlinkException Error)> ExecuteEach(int count, Action<int> write, Func<int, string> describe)
    {
        // The kernel handles a whole send before we read, queueing one ACK per request in our receive buffer (about
        // 1 KiB of it each, counting the kernel's overhead, out of a default 208 KiB): 64 requests per send leave room.
        const int BatchBytes = 32 * 1024;
        const int BatchRequests = 64;
        var failures = new List<(int, NetlinkException)>();
        var next = 0;
        while (next < count)
        {
            var first = next;
            var firstSequence = _sequence + 1;
            Writer.StartBatch();
            try
            {
                while (next < count && Writer.Length < BatchBytes && next - first < BatchRequests)
                {
                    write(next);
                    Writer.End(++_sequence);
                    next++;
                }
            }
            finally
            {
                Writer.StopBatch();
            }

            Send($"batch of {next - first} requests in {Where}");
            var pending = next - first;
            while (pending > 0)
            {
                var operation = $"batch of {next - first} requests in {Where}";
                var data = _receive.AsSpan(0, Receive(operation));
                while (NextMessage(ref data, operation, out var type, out var flags, out var seq, out var body))
                {
                    if (type != Interop.NLMSG_ERROR || seq < firstSequence || seq > _sequence)
                    {
                        continue;
                    }

                    pending--;
                    var errno = Errno(body, operation);
                    if (errno != 0)
                    {
                        var index = first + (int)(seq - firstSequence);
                        failures.Add((index, new NetlinkException(describe(index), errno, ExtendedAckMessage(body, flags))));
                    }
                }
            }
        }

        return failures;
    }

    private void Exchange(string operation, List<byte[]>? answers)
    {
        var sequence = ++_sequence;
        Writer.End(sequence);
        Send(operation);
        var interrupted = false;
        while (true)
        {
            var data = _receive.AsSpan(0, Receive(operation));
            while (NextMessage(ref data, operation, out var type, out var flags, out var seq, out var body))
            {
                if (seq != sequence)
                {
                    continue;
                }

                // The kernel marks a part of a dump, or its end, when a change interrupted it.
                interrupted |= (flags & Interop.NLM_F_DUMP_INTR) != 0;
                switch (type)
                {
                    case Interop.NLMSG_ERROR:
                        var errno = Errno(body, operation);
                        if (errno == 0)
                        {
                            return;
                        }

                        throw new NetlinkException(operation, errno, ExtendedAckMessage(body, flags));
                    case Interop.NLMSG_DONE:
                        // A dump that failed inside the kernel says so here, not with an NLMSG_ERROR.
                        if (body.Length >= 4 && BinaryPrimitives.ReadInt32LittleEndian(body) is < 0 and var failed)
                        {
                            throw new NetlinkException(operation, -failed, AckMessage(body[4..], flags));
                        }

                        if (interrupted)
                        {
                            throw new NetlinkException($"{operation}: the dump was interrupted by a change (NLM_F_DUMP_INTR); ask again", Interop.EINTR);
                        }

                        return;
                    case Interop.NLMSG_NOOP:
                        break;
                    default:
                        // Every request asks for an ACK or is a dump ended by NLMSG_DONE, so answers are collected
                        // until one of those arrives.
                        answers?.Add(body.ToArray());
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Takes the next message off <paramref name="data"/>: false when none is left; a length that does not fit is a
    /// malformed reply.
    /// </summary>
    private static bool NextMessage(ref Span<byte> data, string operation, out ushort type, out ushort flags, out uint sequence, out ReadOnlySpan<byte> body)
    {
        (type, flags, sequence) = (0, 0, 0);
        body = default;
        if (data.Length < 16)
        {
            return false;
        }

        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (length < 16 || length > data.Length)
        {
            throw new NetlinkException($"{operation}: malformed netlink reply of {length} bytes");
        }

        type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
        flags = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        sequence = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        body = data[16..length];
        data = data[Math.Min(NetlinkMessageWriter.Align(length), data.Length)..];
        return true;
    }

    /// <summary>The errno of an NLMSG_ERROR (0: an ACK).</summary>
    private static int Errno(ReadOnlySpan<byte> body, string operation) =>
        body.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(body) : throw new NetlinkException($"{operation}: truncated netlink error of {body.Length} bytes");

    private static string? ExtendedAckMessage(ReadOnlySpan<byte> body, ushort flags)
    {
        // nlmsgerr = error (4) + the request's header (16); with NETLINK_CAP_ACK the request payload is not echoed.
        if ((flags & Interop.NLM_F_ACK_TLVS) == 0 || body.Length <= 20)
        {
            return null;
        }

        return AckMessage(body[20..], flags);
    }

    /// <summary>The kernel's error text among the attributes <paramref name="tlvs"/> (an ACK's, or a failed dump's end).</summary>
    private static string? AckMessage(ReadOnlySpan<byte> tlvs, ushort flags)
    {
        if ((flags & Interop.NLM_F_ACK_TLVS) == 0 || tlvs.IsEmpty)
        {
            return null;
        }

        string? message = null;
        NetlinkAttributes.ForEach(tlvs, ref message, static (ref string? m, ushort type, ReadOnlySpan<byte> payload) =>
        {
            if (type == Interop.NLMSGERR_ATTR_MSG)
            {
                m = NetlinkAttributes.ReadString(payload);
            }
        });
        return message;
    }

    private unsafe void Send(string operation)
    {
        var message = Writer.Written;
        fixed (byte* p = message)
        {
            while (true)
            {
                var sent = Interop.Send(_fd, p, (nuint)message.Length, 0);
                if (sent >= 0)
                {
                    return;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Interop.EINTR)
                {
                    throw new NetlinkException($"{operation}: send", errno);
                }
            }
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for notifications; returns (type, payload) of each message received, or
    /// none when the wait timed out.
    /// </summary>
    internal List<(ushort Type, byte[] Payload)> ReceiveNotifications(TimeSpan timeout)
    {
        unsafe
        {
            var tv = new Interop.timeval { tv_sec = (long)timeout.TotalSeconds, tv_usec = timeout.Milliseconds * 1000L };
            _ = Interop.SetSockOpt(_fd, Interop.SOL_SOCKET, Interop.SO_RCVTIMEO, &tv, (uint)sizeof(Interop.timeval));
        }

        var result = new List<(ushort, byte[])>();
        int received;
        try
        {
            received = Receive("receive link notifications");
        }
        catch (NetlinkException ex) when (ex.Errno == Interop.EAGAIN)
        {
            return result;
        }

        var data = _receive.AsSpan(0, received);
        try
        {
            while (NextMessage(ref data, "receive link notifications", out var type, out _, out _, out var body))
            {
                result.Add((type, body.ToArray()));
            }
        }
        catch (NetlinkException)
        {
            // A malformed tail: keep the notifications read before it.
        }

        return result;
    }

    private unsafe int Receive(string operation)
    {
        fixed (byte* p = _receive)
        {
            while (true)
            {
                var got = Interop.Recv(_fd, p, (nuint)_receive.Length, 0);
                if (got >= 0)
                {
                    return (int)got;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Interop.EINTR)
                {
                    throw new NetlinkException($"{operation}: recv", errno);
                }
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _fd.Dispose();
}
