using System.Net.Sockets;
using System.Text.Json;

namespace Yurtnet.Protocol;

/// <summary>
/// One connection to yurtnetd's Unix socket. The plugin opens one per invocation; the CLI one per command.
/// </summary>
public sealed class DaemonClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly int _maxFrameBytes;

    private DaemonClient(Socket socket, int maxFrameBytes)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _maxFrameBytes = maxFrameBytes;
    }

    /// <summary>
    /// Connects, retrying while the socket is missing or refuses (the daemon restarting) until
    /// <paramref name="budget"/> is spent.
    /// </summary>
    /// <exception cref="DaemonUnreachableException">No connection within the budget.</exception>
    public static async Task<DaemonClient> ConnectAsync(string socketPath, TimeSpan budget, CancellationToken cancellationToken, int maxFrameBytes = FrameCodec.DefaultMaxFrameBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(25);
        Exception? last = null;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                var remaining = budget - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), attempt.Token).ConfigureAwait(false);
                return new DaemonClient(socket, maxFrameBytes);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                last = ex switch
                {
                    OperationCanceledException => last ?? new TimeoutException("connect timed out"),
                    _ when !File.Exists(socketPath) => new FileNotFoundException($"no socket at {socketPath}"),
                    SocketException { SocketErrorCode: SocketError.ConnectionRefused } => new IOException("connection refused: nothing listens on the socket"),
                    _ => ex,
                };
            }

            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (elapsed + delay >= budget)
            {
                throw new DaemonUnreachableException(socketPath, elapsed, last);
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 400));
        }
    }

    /// <summary>Sends one request and reads its response.</summary>
    /// <exception cref="IOException">The connection broke or the daemon closed it without answering.</exception>
    /// <exception cref="InvalidDataException">The answer is not a valid frame.</exception>
    public async Task<Response> SendAsync(Request request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var payload = JsonSerializer.SerializeToUtf8Bytes(request, ProtocolJsonContext.Default.Request);
        await FrameCodec.WriteAsync(_stream, payload, cancellationToken).ConfigureAwait(false);
        var answer = await FrameCodec.ReadAsync(_stream, _maxFrameBytes, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("yurtnetd closed the connection without answering");
        try
        {
            return JsonSerializer.Deserialize(answer, ProtocolJsonContext.Default.Response)
                ?? throw new InvalidDataException("yurtnetd answered with a null frame");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"yurtnetd answered with a frame this client cannot read: {ex.Message}", ex);
        }
    }

    /// <summary>A fresh request id: 8 hex digits, enough to find one invocation in the logs.</summary>
    public static string NewRequestId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    /// <inheritdoc/>
    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}
