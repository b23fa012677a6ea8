using System.Net.Sockets;
using System.Text.Json;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.CniApi;

/// <summary>
/// One client on the socket: its frames, each answered in turn. The deadlines are per request, from the frame's
/// first byte to its answer, so what a plugin does between two requests (plumbing a pod, waiting for its own locks)
/// never counts against the daemon; an idle connection holds no request slot, only a connection. A client that
/// breaks the rules (a frame over the limit, one dribbled past its deadline, another protocol version, a peer that
/// may not use the socket) gets an error frame where one helps and is cut off with the reason logged.
/// </summary>
internal sealed class CniConnection(Socket socket, CniSocketServer server, CniApiOptions options)
{
    /// <summary>Attachments this client allocated for and has not yet committed or released (a plugin has one at most).</summary>
    private readonly Dictionary<(string ContainerId, string IfName), string> _allocated = [];
    private PeerCredentials? _peer;

    /// <summary>True while this client allocated addresses it has not yet committed or released.</summary>
    public bool MidAdd => _allocated.Count > 0;

    /// <summary>
    /// Who the client is, as the kernel vouches; read once, while the socket is open. A peer the kernel cannot name
    /// (pid -1, uid and gid 4294967295) is in no allowedUids.
    /// </summary>
    public PeerCredentials Peer => _peer ??= Identify();

    public async Task ServeAsync(CancellationToken stoppingToken)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        if (!options.AllowedUids.Contains(Peer.Uid))
        {
            // A stranger's request is not parsed: what it sent within a second is read and dropped, so that it sees the
            // reason in the answer instead of a broken pipe, and then it is cut off.
            server.CutOff(this, $"uid {Peer.Uid} is not in allowedUids");
            using (var glance = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
            {
                try
                {
                    _ = await stream.ReadAsync(new byte[4096], glance.Token);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException)
                {
                }
            }

            await WriteAsync(stream, CniRequestHandler.Error(ErrorKind.PermissionDenied, $"uid {Peer.Uid} may not use {options.Socket}; allowed: {string.Join(", ", options.AllowedUids)} (allowedUids in yurtnetd.json)"), TimeSpan.FromSeconds(1));
            return;
        }

        try
        {
            while (await ReadFrameAsync(stream, stoppingToken) is { } frame)
            {
                using (frame.Budget)
                {
                    var (_, response) = await server.ProcessAsync(frame.Payload, Peer, frame.Deadline, this);
                    if (!await WriteAsync(stream, response, frame.Deadline.Remaining))
                    {
                        await AbandonAsync("the client went away before the answer", stoppingToken);
                        return;
                    }
                }
            }
        }
        finally
        {
            await AbandonAsync("the client closed the connection", stoppingToken);
        }
    }

    /// <summary>The next frame, or null when the client closed, idled out, or broke a rule (then it is cut off).</summary>
    private async Task<Frame?> ReadFrameAsync(NetworkStream stream, CancellationToken stoppingToken)
    {
        var header = new byte[FrameCodec.HeaderBytes];
        using (var idle = CancellationTokenSource.CreateLinkedTokenSource(server.Draining(MidAdd, stoppingToken)))
        {
            idle.CancelAfter(options.IdleTimeout);
            try
            {
                if (await stream.ReadAsync(header.AsMemory(0, 1), idle.Token) == 0)
                {
                    return null;
                }
            }
            catch (OperationCanceledException) when (idle.IsCancellationRequested)
            {
                if (!stoppingToken.IsCancellationRequested)
                {
                    server.CutOff(this, $"sent no request for {options.IdleTimeout.TotalSeconds:0.#} s (idleTimeout)");
                }

                return null;
            }
        }

        var deadline = RequestDeadline.Start(options.RequestTimeout);
        IDisposable? budget = null;
        Frame? frame = null;
        try
        {
            using var reading = new CancellationTokenSource(deadline.Remaining);
            await stream.ReadExactlyAsync(header.AsMemory(1), reading.Token);
            int length;
            try
            {
                length = FrameCodec.CheckLength(System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header), options.MaxFrameBytes);
            }
            catch (InvalidDataException ex)
            {
                server.CutOff(this, ex.Message);
                await WriteAsync(stream, CniRequestHandler.Error(ErrorKind.InvalidRequest, ex.Message), deadline.Remaining);
                return null;
            }

            // Every real request fits in a small frame and never waits; only large ones share the budget, so a flood
            // of them cannot starve the plugins' requests.
            budget = length > CniSocketServer.SmallFrameBytes ? await server.Budget.ReserveAsync(length, reading.Token) : null;
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, reading.Token);
            frame = new Frame(payload, deadline, budget);
            return frame;
        }
        catch (OperationCanceledException)
        {
            server.CutOff(this, $"did not send a whole frame within {options.RequestTimeout.TotalSeconds:0.#} s");
            return null;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            server.CutOff(this, $"closed inside a frame ({ex.Message})");
            return null;
        }
        finally
        {
            // The frame's reservation is handed over with it; on every other way out it is given back here.
            if (frame is null)
            {
                budget?.Dispose();
            }
        }
    }

    private PeerCredentials Identify()
    {
        try
        {
            return PeerCredentials.Of(socket);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return new PeerCredentials(-1, uint.MaxValue, uint.MaxValue);
        }
    }

    /// <summary>This client allocated for the attachment and has not committed or released yet.</summary>
    internal void Adopt((string ContainerId, string IfName) attachment, string network) => _allocated[attachment] = network;

    /// <summary>The attachment's ADD ended (committed or released), here or through another client.</summary>
    internal void Settle((string ContainerId, string IfName) attachment) => _allocated.Remove(attachment);

    /// <summary>
    /// A client that allocated and left without committing: its pending leases are freed now, not half-applied until
    /// reclaim. Not when yurtnetd is stopping: then the plugin sends its commit to the next yurtnetd, and the lease
    /// only loses the protection of an ADD in progress (pendingTimeout applies).
    /// </summary>
    private async Task AbandonAsync(string why, CancellationToken stoppingToken)
    {
        var abandoned = _allocated.ToList();
        _allocated.Clear();
        foreach (var (attachment, network) in abandoned)
        {
            await server.AbandonAsync(this, attachment, network, why, rollBack: !stoppingToken.IsCancellationRequested);
        }
    }

    /// <summary>Writes an answer; false when the client is gone or does not read it in time.</summary>
    private static async Task<bool> WriteAsync(NetworkStream stream, Response response, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within > TimeSpan.Zero ? within : TimeSpan.FromMilliseconds(1));
        try
        {
            await FrameCodec.WriteAsync(stream, JsonSerializer.SerializeToUtf8Bytes(response, ProtocolJsonContext.Default.Response), timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    private sealed record Frame(byte[] Payload, RequestDeadline Deadline, IDisposable? Budget);
}
