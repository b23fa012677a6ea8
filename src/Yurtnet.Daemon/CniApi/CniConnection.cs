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
    private (string ContainerId, string IfName, string Network)? _allocated;

    /// <summary>True while this client allocated addresses it has not yet committed or released.</summary>
    public bool MidAdd => _allocated is not null;

    public PeerCredentials Peer { get; private set; }

    public async Task ServeAsync(CancellationToken stoppingToken)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        Peer = PeerCredentials.Of(socket);
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
                    var (request, response) = await server.ProcessAsync(frame.Payload, Peer, frame.Deadline);
                    Track(request, response);
                    if (!await WriteAsync(stream, response, frame.Deadline.Remaining))
                    {
                        await AbandonAsync("the client went away before the answer");
                        return;
                    }
                }
            }
        }
        finally
        {
            await AbandonAsync("the client closed the connection");
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
            return new Frame(payload, deadline, budget);
        }
        catch (OperationCanceledException)
        {
            budget?.Dispose();
            server.CutOff(this, $"did not send a whole frame within {options.RequestTimeout.TotalSeconds:0.#} s");
            return null;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            budget?.Dispose();
            server.CutOff(this, $"closed inside a frame ({ex.Message})");
            return null;
        }
    }

    /// <summary>Remembers an allocation until its commit or release, so that a client gone half-way is rolled back.</summary>
    private void Track(Request? request, Response response)
    {
        switch (response)
        {
            case AllocateResponse { Existing: false } when request is AllocateRequest allocate:
                _allocated = (allocate.ContainerId, allocate.IfName, allocate.Network);
                break;
            case CommitResponse or ReleaseResponse:
                _allocated = null;
                break;
        }
    }

    /// <summary>A client that allocated and left without committing: its pending lease is freed now, not half-applied until reclaim.</summary>
    private async Task AbandonAsync(string why)
    {
        if (_allocated is not { } allocation)
        {
            return;
        }

        _allocated = null;
        await server.RollBackAsync(allocation.ContainerId, allocation.IfName, allocation.Network, why);
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
