using System.Diagnostics;
using System.Net.Sockets;

namespace Yurtnet.Protocol;

/// <summary>
/// One connection to yurtnetd's Unix socket. The plugin opens one per invocation; the CLI one per command.
/// </summary>
/// <remarks>
/// Blocking I/O on purpose: the plugin is a process that lives for one request, and starting .NET's async socket
/// engine and thread pool for it cost more than the request itself. Deadlines are socket timeouts.
/// </remarks>
public sealed class DaemonClient : IDisposable
{
    private readonly Socket _socket;
    private readonly DeadlineStream _stream;
    private readonly int _maxFrameBytes;

    private DaemonClient(Socket socket, int maxFrameBytes)
    {
        _socket = socket;
        _stream = new DeadlineStream(socket);
        _maxFrameBytes = maxFrameBytes;
    }

    /// <summary>
    /// Connects, retrying while the socket is missing or refuses (the daemon restarting) until
    /// <paramref name="budget"/> is spent.
    /// </summary>
    /// <exception cref="DaemonUnreachableException">No connection within the budget.</exception>
    public static DaemonClient Connect(string socketPath, TimeSpan budget, int maxFrameBytes = FrameCodec.DefaultMaxFrameBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var started = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(25);
        Exception? last;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                // A Unix socket connect does not touch the network: it succeeds, queues in the listener's backlog
                // (socket activation), or fails at once; only a full backlog makes it wait, and SO_SNDTIMEO bounds that.
                socket.SendTimeout = (int)Math.Clamp((budget - Stopwatch.GetElapsedTime(started)).TotalMilliseconds, 1, int.MaxValue);
                socket.Connect(new UnixDomainSocketEndPoint(socketPath));
                return new DaemonClient(socket, maxFrameBytes);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex switch
                {
                    _ when !File.Exists(socketPath) => new FileNotFoundException($"no socket at {socketPath}"),
                    { SocketErrorCode: SocketError.ConnectionRefused } => new IOException("connection refused: nothing listens on the socket"),
                    { SocketErrorCode: SocketError.WouldBlock or SocketError.TryAgain or SocketError.TimedOut } => new IOException("the socket's backlog is full: nothing accepts connections"),
                    _ => ex,
                };
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed + delay >= budget)
            {
                throw new DaemonUnreachableException(socketPath, elapsed, last);
            }

            Thread.Sleep(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 400));
        }
    }

    /// <summary>The protocol version this connection's requests are sent in: <see cref="ProtocolVersion.Current"/> until an older daemon says otherwise.</summary>
    public int Version { get; private set; } = ProtocolVersion.Current;

    /// <summary>
    /// Sends one request and reads its response within <paramref name="timeout"/>, however the answer arrives. A
    /// daemon of the previous release refuses the current version; the request then goes once more in the version
    /// it names, and so do the connection's later requests (<see cref="ProtocolVersion"/>).
    /// </summary>
    /// <exception cref="TimeoutException">No answer within the timeout.</exception>
    /// <exception cref="IOException">The connection broke or the daemon closed it without answering.</exception>
    /// <exception cref="InvalidDataException">The answer is not a valid frame.</exception>
    public Response Send(Request request, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(request);
        _stream.Start(timeout);
        var response = Exchange(request.Version == Version ? request : request with { Version = Version }, timeout);
        if (response is ErrorResponse { Error: ErrorKind.UnsupportedVersion } && response.Version < Version && ProtocolVersion.IsSpoken(response.Version))
        {
            Version = response.Version;
            response = Exchange(request with { Version = Version }, timeout);
        }

        return response;
    }

    private Response Exchange(Request request, TimeSpan timeout)
    {
        byte[]? answer;
        try
        {
            FrameCodec.Write(_stream, ClientFrameJson.Encode(request));
            answer = FrameCodec.Read(_stream, _maxFrameBytes);
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            throw new TimeoutException($"yurtnetd did not answer within {timeout.TotalSeconds:0.#} s", ex);
        }

        if (answer is null)
        {
            throw new IOException("yurtnetd closed the connection without answering");
        }

        return ClientFrameJson.Decode(answer);
    }

    /// <summary>A fresh request id: 8 hex digits, enough to find one invocation in the logs (not a secret).</summary>
    public static string NewRequestId() => Random.Shared.Next().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}
