using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.CniApi;

/// <summary>
/// Serves the framed-JSON protocol on the Unix socket. The spool is drained before the socket is opened.
/// Connections beyond <see cref="CniApiOptions.MaxConcurrentRequests"/> wait in the kernel's backlog
/// (back-pressure instead of unbounded memory); requests for one container run one at a time; each request has a
/// deadline; a frame of another protocol version or over the size limit gets an error frame.
/// </summary>
internal sealed partial class CniSocketServer(CniRequestHandler handler, Reconciler reconciler, CniApiOptions options, HealthModel health, ILogger<CniSocketServer> logger) : BackgroundService
{
    private readonly KeyedLock _containers = new();
    private readonly SemaphoreSlim _slots = new(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private bool _inherited;

    /// <summary>Completes once the socket accepts connections.</summary>
    public Task Serving => _serving.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await reconciler.RunOnceAsync(stoppingToken);
        using var listener = Bind();
        health.SetServing();
        _serving.TrySetResult();
        LogListening(logger, options.Socket, options.MaxConcurrentRequests);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _slots.WaitAsync(stoppingToken);
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(stoppingToken);
                }
                catch
                {
                    _slots.Release();
                    throw;
                }

                Interlocked.Increment(ref _inFlight);
                _ = ServeAsync(client, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Let requests in flight finish (each has its deadline) before the store closes.
            var deadline = Stopwatch.GetTimestamp() + (long)(options.RequestTimeout.TotalSeconds * Stopwatch.Frequency);
            while (Volatile.Read(ref _inFlight) > 0 && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(10, CancellationToken.None);
            }

            if (!_inherited)
            {
                TryDeleteSocket();
            }
        }
    }

    private Socket Bind()
    {
        if (InheritedListener.TryTake(out var inherited))
        {
            // systemd owns the socket file and keeps it across our restarts.
            _inherited = true;
            LogInherited(logger, options.Socket);
            return inherited;
        }

        var directory = Path.GetDirectoryName(options.Socket)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else if ((File.GetUnixFileMode(directory) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            LogLooseDirectory(logger, directory);
        }

        TryDeleteSocket();
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(options.Socket));
            File.SetUnixFileMode(options.Socket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(128);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private void TryDeleteSocket()
    {
        try
        {
            File.Delete(options.Socket);
        }
        catch (IOException)
        {
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stoppingToken)
    {
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: true);
            var peer = PeerCredentials.Of(client);
            var allowed = options.AllowedUids.Contains(peer.Uid);
            if (!allowed)
            {
                LogRefusedPeer(logger, peer.Pid, peer.Uid);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                deadline.CancelAfter(options.RequestTimeout);
                byte[]? frame;
                try
                {
                    frame = await FrameCodec.ReadAsync(stream, options.MaxFrameBytes, deadline.Token);
                }
                catch (InvalidDataException ex)
                {
                    await WriteAsync(stream, CniRequestHandler.Error(ErrorKind.InvalidRequest, ex.Message), stoppingToken);
                    return;
                }

                if (frame is null)
                {
                    return;
                }

                if (!allowed)
                {
                    // Answer the request it sent (so the client sees why) and hang up.
                    await WriteAsync(stream, CniRequestHandler.Error(ErrorKind.PermissionDenied, $"uid {peer.Uid} may not use {options.Socket}; allowed: {string.Join(", ", options.AllowedUids)} (allowedUids in yurtnetd.json)"), deadline.Token);
                    return;
                }

                var response = await ProcessAsync(frame, peer, deadline, stoppingToken);
                await WriteAsync(stream, response, deadline.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away, idled past the deadline, or the daemon is stopping: nothing to answer.
        }
        catch (Exception ex)
        {
            LogConnectionFailed(logger, ex.GetType().Name, ex.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _slots.Release();
        }
    }

    private async Task<Response> ProcessAsync(byte[] frame, PeerCredentials peer, CancellationTokenSource deadline, CancellationToken stoppingToken)
    {
        var version = PeekVersion(frame);
        if (version != ProtocolVersion.Current)
        {
            return CniRequestHandler.Error(ErrorKind.UnsupportedVersion, $"frame speaks protocol version {(version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)")}; this yurtnetd speaks {ProtocolVersion.Current}: install matching yurtnet and yurtnetd versions");
        }

        Request request;
        try
        {
            request = JsonSerializer.Deserialize(frame, ProtocolJsonContext.Default.Request) ?? throw new JsonException("null request");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            return CniRequestHandler.Error(ErrorKind.InvalidRequest, $"cannot read the request: {ex.Message}");
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using (request.SerializationKey is { } key ? await _containers.AcquireAsync(key, deadline.Token) : null)
            {
                var response = await handler.HandleAsync(request, deadline.Token);
                if (logger.IsEnabled(LogLevel.Information))
                {
                    LogRequest(logger, request.GetType().Name, request.Id, request.SerializationKey ?? "-", peer.Pid, response.GetType().Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                return response;
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return CniRequestHandler.Error(ErrorKind.TryAgainLater, $"request deadline of {options.RequestTimeout.TotalSeconds:0.#} s exceeded") with { Id = request.Id };
        }
        catch (OperationCanceledException)
        {
            return CniRequestHandler.Error(ErrorKind.TryAgainLater, "yurtnetd is stopping") with { Id = request.Id };
        }
        catch (Exception ex)
        {
            LogRequestFailed(logger, request.GetType().Name, request.Id, ex.GetType().Name, ex.Message);
            return CniRequestHandler.Error(ErrorKind.Internal, ex.Message) with { Id = request.Id };
        }
    }

    private static int? PeekVersion(byte[] frame)
    {
        try
        {
            var reader = new Utf8JsonReader(frame);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isVersion = reader.ValueTextEquals("v");
                reader.Read();
                if (isVersion)
                {
                    return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v) ? v : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static Task WriteAsync(Stream stream, Response response, CancellationToken cancellationToken) =>
        FrameCodec.WriteAsync(stream, JsonSerializer.SerializeToUtf8Bytes(response, ProtocolJsonContext.Default.Response), cancellationToken).AsTask();

    public override void Dispose()
    {
        _slots.Dispose();
        base.Dispose();
    }
}
