using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>
/// The plugin's conversation with yurtnetd for one verb. When the connection breaks mid-way (yurtnetd restarted by
/// an upgrade, <c>systemctl restart</c> or a crash), it connects again and sends the request once more: every request
/// is idempotent by container id (a second allocate returns the addresses of the first, a second commit changes
/// nothing), so a restart costs a pod start some milliseconds, never a failure.
/// </summary>
internal sealed class DaemonSession : IDisposable
{
    private readonly int _attempts;
    private readonly string _socket;
    private readonly TimeSpan _connectBudget;
    private readonly PluginLog _log;
    private DaemonClient _client;
    private Request? _posted;
    private TimeSpan _timeout;
    private int _attempt;
    private IOException? _broken;

    private DaemonSession(string socket, TimeSpan connectBudget, PluginLog log, DaemonClient client, int attempts)
    {
        _attempts = attempts;
        _socket = socket;
        _connectBudget = connectBudget;
        _log = log;
        _client = client;
    }

    /// <param name="socket">yurtnetd's socket.</param>
    /// <param name="connectBudget">How long each connect may retry.</param>
    /// <param name="log">The plugin's log.</param>
    /// <param name="attempts">How often a request is sent at most: 3, or 1 where a deadline leaves no room (DEL spools instead).</param>
    /// <param name="connected">A connection to <paramref name="socket"/> made already (<see cref="DaemonClient.TryConnectNow"/>), which the session takes over.</param>
    /// <exception cref="DaemonUnreachableException">No connection within <paramref name="connectBudget"/>.</exception>
    public static DaemonSession Open(string socket, TimeSpan connectBudget, PluginLog log, int attempts = 3, DaemonClient? connected = null) =>
        new(socket, connectBudget, log, connected ?? DaemonClient.Connect(socket, connectBudget), attempts);

    /// <summary>Sends a request; on a broken connection, reconnects and sends it again (at most as often as the session allows).</summary>
    /// <exception cref="TimeoutException">yurtnetd did not answer in time (not retried: it is there, but hung).</exception>
    /// <exception cref="IOException">The connection broke on every attempt.</exception>
    /// <exception cref="DaemonUnreachableException">The connection broke and no new one could be made.</exception>
    public Response Send(Request request, TimeSpan timeout)
    {
        Post(request, timeout);
        return Receive();
    }

    /// <summary>
    /// Sends a request without waiting for its answer (<see cref="Receive"/> reads it), so that the plugin works while
    /// yurtnetd answers. A connection that breaks while the request is written is made again by <see cref="Receive"/>.
    /// </summary>
    /// <exception cref="TimeoutException">The request could not be written in time.</exception>
    public void Post(Request request, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(request);
        (_posted, _timeout, _attempt) = (request, timeout, 1);
        _broken = Write(request);
    }

    /// <summary>The answer to the request <see cref="Post"/> sent; on a broken connection, as <see cref="Send"/>.</summary>
    /// <exception cref="TimeoutException">yurtnetd did not answer in time (not retried: it is there, but hung).</exception>
    /// <exception cref="IOException">The connection broke on every attempt.</exception>
    /// <exception cref="DaemonUnreachableException">The connection broke and no new one could be made.</exception>
    public Response Receive()
    {
        var request = _posted ?? throw new InvalidOperationException("no request was posted");
        _posted = null;
        while (true)
        {
            var broken = _broken;
            if (broken is null)
            {
                try
                {
                    return _client.Receive();
                }
                catch (IOException ex)
                {
                    broken = ex;
                }
            }

            if (_attempt >= _attempts)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(broken);
            }

            _attempt++;
            _log.Warn($"the connection to yurtnetd broke during {request.GetType().Name} ({broken.Message}); connecting again and sending it once more");
            _client.Dispose();
            _client = DaemonClient.Connect(_socket, _connectBudget);
            _broken = Write(request);
        }
    }

    /// <summary>Writes the request with a fresh id; the break, if the connection broke (<see cref="Receive"/> handles it).</summary>
    private IOException? Write(Request request)
    {
        try
        {
            _client.Post(request with { Id = DaemonClient.NewRequestId() }, _timeout);
            return null;
        }
        catch (IOException ex)
        {
            return ex;
        }
    }

    public void Dispose() => _client.Dispose();
}
