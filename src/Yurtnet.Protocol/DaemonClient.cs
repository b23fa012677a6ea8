using System.Diagnostics;

namespace Yurtnet.Protocol;

/// <summary>
/// One connection to yurtnetd's Unix socket. The plugin opens one per invocation; the CLI one per command.
/// </summary>
/// <remarks>
/// Plain system calls on purpose (<see cref="UnixSocketStream"/>): the plugin is a process that lives for one
/// request, and starting .NET's socket engine and thread pool for it cost more than the request itself.
/// </remarks>
public sealed class DaemonClient : IDisposable
{
    private readonly UnixSocketStream _stream;
    private readonly int _maxFrameBytes;
    private Request? _posted;
    private TimeSpan _postedTimeout;

    private DaemonClient(UnixSocketStream stream, int maxFrameBytes)
    {
        _stream = stream;
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
        if (SocketPathProblem(socketPath) is { } problem)
        {
            // Not "start yurtnetd": no daemon can listen there.
            throw new DaemonUnreachableException($"yurtnetd's socket cannot be reached at all: {problem}", new IOException(problem));
        }

        var started = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(25);
        Exception? last;
        while (true)
        {
            try
            {
                var left = budget - Stopwatch.GetElapsedTime(started);
                return new DaemonClient(UnixSocketStream.Connect(socketPath, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)), maxFrameBytes);
            }
            catch (IOException ex)
            {
                last = ex.HResult switch
                {
                    _ when !File.Exists(socketPath) => new FileNotFoundException($"no socket at {socketPath}"),
                    Interop.ECONNREFUSED => new IOException("connection refused: nothing listens on the socket"),
                    Interop.EAGAIN or Interop.ETIMEDOUT => new IOException("the socket's backlog is full: nothing accepts connections"),
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

    /// <summary>
    /// A connection if the socket accepts one at once (within a kernel tick), else null: the caller connects with its
    /// budget when it needs to. The plugin connects this way before it parses its configuration, so that yurtnetd's
    /// accept, a thread woken from idle, overlaps the plugin's own work. Under socket activation systemd accepts on
    /// the daemon's behalf and the connection starts yurtnetd, as any connection does.
    /// </summary>
    public static DaemonClient? TryConnectNow(string socketPath, int maxFrameBytes = FrameCodec.DefaultMaxFrameBytes)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        if (!Path.IsPathRooted(socketPath) || SocketPathProblem(socketPath) is not null)
        {
            return null;
        }

        try
        {
            return new DaemonClient(UnixSocketStream.Connect(socketPath, TimeSpan.FromMilliseconds(1)), maxFrameBytes);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether yurtnetd ended this connection before any request was sent on it (a restart, an idle cut-off): a
    /// connection made early is checked so before it is used, and made again if so.
    /// </summary>
    public bool EndedByDaemon() => _stream.PeerGone();

    /// <summary>What is wrong with <paramref name="socketPath"/> as the path of yurtnetd's socket (too long for a Unix socket), or null.</summary>
    public static string? SocketPathProblem(string socketPath) => UnixSocketStream.PathProblem(socketPath);

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
        Post(request, timeout);
        return Receive();
    }

    /// <summary>
    /// The first half of <see cref="Send"/>: writes the request and returns without waiting for the answer, so that the
    /// caller works while yurtnetd answers; <see cref="Receive"/> reads it. <paramref name="timeout"/> runs from now.
    /// </summary>
    /// <exception cref="TimeoutException">The request could not be written within the timeout.</exception>
    /// <exception cref="IOException">The connection broke.</exception>
    /// <exception cref="InvalidOperationException">An earlier request's answer was not read yet.</exception>
    public void Post(Request request, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_posted is not null)
        {
            throw new InvalidOperationException("one request at a time: the answer to the last one was not read");
        }

        _stream.Start(timeout);
        var posted = request.Version == Version ? request : request with { Version = Version };
        Write(posted, timeout);
        (_posted, _postedTimeout) = (posted, timeout);
    }

    /// <summary>The answer to the request <see cref="Post"/> sent, within what is left of its timeout.</summary>
    /// <exception cref="TimeoutException">No answer within the timeout.</exception>
    /// <exception cref="IOException">The connection broke or the daemon closed it without answering.</exception>
    /// <exception cref="InvalidDataException">The answer is not a valid frame.</exception>
    /// <exception cref="InvalidOperationException">No request is waiting for its answer.</exception>
    public Response Receive()
    {
        var request = _posted ?? throw new InvalidOperationException("no request was posted");
        _posted = null;
        var response = Read(_postedTimeout);
        if (response is ErrorResponse { Error: ErrorKind.UnsupportedVersion } && response.Version < Version && ProtocolVersion.IsSpoken(response.Version))
        {
            Version = response.Version;
            Write(request with { Version = Version }, _postedTimeout);
            response = Read(_postedTimeout);
        }

        return response;
    }

    private void Write(Request request, TimeSpan timeout)
    {
        try
        {
            FrameCodec.Write(_stream, ClientFrameJson.Encode(request));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"yurtnetd did not take the request within {timeout.TotalSeconds:0.#} s", ex);
        }
    }

    private Response Read(TimeSpan timeout)
    {
        byte[]? answer;
        try
        {
            answer = FrameCodec.Read(_stream, _maxFrameBytes);
        }
        catch (TimeoutException ex)
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
    }
}
