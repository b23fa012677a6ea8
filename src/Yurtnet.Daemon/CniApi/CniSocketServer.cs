using System.Collections.Concurrent;
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
/// Serves the framed-JSON protocol on the Unix socket. The spool is drained before the socket is opened. Limits,
/// each against one kind of bad client: at most <see cref="CniApiOptions.MaxConnections"/> connections (an idle one
/// holds only that); at most <see cref="CniApiOptions.MaxConcurrentRequests"/> requests processed at once (a slot is
/// taken only once a whole frame is in); request frames in memory bounded by <see cref="Budget"/>; one request at a
/// time per container; a deadline per request. On stop, requests being processed finish, and a client between its
/// allocate and its commit gets until the drain deadline to commit; the rest reconnect to the next daemon.
/// </summary>
internal sealed partial class CniSocketServer(CniRequestHandler handler, Reconciler reconciler, CniApiOptions options, HealthModel health, CniOperationMetrics metrics, ILogger<CniSocketServer> logger) : BackgroundService
{
    /// <summary>Bytes of large request frames held at once, whatever the connections: a flood waits, memory does not grow.</summary>
    internal const long FrameBytesInFlight = 16 * 1024 * 1024;

    /// <summary>
    /// Frames up to this size (every ADD, DEL, CHECK and STATUS; a GC of a few hundred attachments) are read without
    /// waiting for the budget: with <see cref="CniApiOptions.MaxConnections"/> connections they hold 16 MiB at most.
    /// </summary>
    internal const int SmallFrameBytes = 16 * 1024;

    private static readonly TimeSpan CutOffLogWindow = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AcceptBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The longest a stop waits for connections: systemd kills yurtnetd after TimeoutStopSec (20 s), and the other
    /// services stop after this one.
    /// </summary>
    private static readonly TimeSpan MaxDrain = TimeSpan.FromSeconds(12);
    private const int CutOffLogsPerWindow = 10;

    private readonly KeyedLock _containers = new();
    private readonly SemaphoreSlim _slots = new(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
    private readonly ConcurrentDictionary<CniConnection, Task> _connections = new();

    /// <summary>
    /// Which connection owns each ADD between its allocate and its commit: the last one that allocated. A plugin that
    /// reconnected and resent its allocate owns it now; the connection it left behind neither rolls it back nor ends it.
    /// </summary>
    private readonly ConcurrentDictionary<(string ContainerId, string IfName), CniConnection> _attempts = new();
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _drainOver = new();
    private readonly object _cutOffGate = new();
    private long _cutOffWindowStart;
    private int _cutOffsInWindow;
    private int _cutOffsSuppressed;
    private bool _inherited;

    /// <summary>The last STATUS answer per network ("" for the operator's and the liveness probe's): "" when ready.</summary>
    private readonly Dictionary<string, string> _lastStatus = [];

    /// <summary>Completes once the socket accepts connections.</summary>
    public Task Serving => _serving.Task;

    /// <summary>The bound on request frames held in memory.</summary>
    public FrameBudget Budget { get; } = new(Math.Max(FrameBytesInFlight, options.MaxFrameBytes));

    /// <summary>Connections open now.</summary>
    public int Connections => _connections.Count;

    /// <summary>Clients cut off so far (rule broken, stranger, over the connection limit).</summary>
    public long CutOffs { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A store that cannot be written (a full card) must not keep the socket shut: DEL and status still work, and ADD
        // is refused with the reason. The pass says so instead of throwing; a later pass applies the spool.
        if ((await reconciler.RunOnceAsync(repairHost: false, stoppingToken)).Problem is { } problem)
        {
            LogStartPassFailed(logger, problem);
        }

        using var listener = Bind();
        health.SetServing();
        _serving.TrySetResult();
        LogListening(logger, options.Socket, options.MaxConcurrentRequests, options.MaxConnections);
        try
        {
            var acceptFailures = 0;
            var acceptLoggedAt = 0L;
            while (!stoppingToken.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(stoppingToken);
                }
                catch (SocketException ex)
                {
                    // Out of file descriptors or kernel memory (EMFILE, ENFILE, ENOBUFS): the connections we hold end by
                    // their deadlines and free them. The listener stays; restarting would drop every client at once.
                    // Logged at the first failure and then once per log window, with the count in between.
                    acceptFailures++;
                    if (acceptFailures == 1 || Stopwatch.GetElapsedTime(acceptLoggedAt) > CutOffLogWindow)
                    {
                        LogAcceptFailed(logger, ex.SocketErrorCode.ToString(), ex.Message, AcceptBackoff.TotalMilliseconds, acceptFailures);
                        acceptLoggedAt = Stopwatch.GetTimestamp();
                    }

                    await Task.Delay(AcceptBackoff, stoppingToken);
                    continue;
                }

                acceptFailures = 0;
                var connection = new CniConnection(client, this, options);
                if (_connections.Count >= options.MaxConnections)
                {
                    CutOff(connection, $"over the limit of {options.MaxConnections} connections (maxConnections)");
                    client.Dispose();
                    continue;
                }

                // Registered before it runs: a connection that ends at once is removed, never left counted.
                _connections[connection] = Task.CompletedTask;
                _connections.TryUpdate(connection, RunAsync(connection, stoppingToken), Task.CompletedTask);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await DrainAsync();
            if (!_inherited)
            {
                TryDeleteSocket();
            }
        }
    }

    /// <summary>
    /// On stop: requests in progress finish (each has its deadline); clients between allocate and commit may send
    /// their commit for half the drain; every other connection ends now. The whole drain is at most requestTimeout
    /// and never more than <see cref="MaxDrain"/>; a client still open then reconnects to the next yurtnetd.
    /// </summary>
    private async Task DrainAsync()
    {
        var limit = options.RequestTimeout < MaxDrain ? options.RequestTimeout : MaxDrain;
        _drainOver.CancelAfter(limit / 2);
        var remaining = _connections.Values.ToList();
        var all = Task.WhenAll(remaining);
        if (await Task.WhenAny(all, Task.Delay(limit, CancellationToken.None)) != all)
        {
            LogDrainIncomplete(logger, _connections.Count, limit.TotalSeconds);
        }
    }

    /// <summary>The token that ends a connection's wait for its next frame: at stop, at once unless it is mid-ADD.</summary>
    internal CancellationToken Draining(bool midAdd, CancellationToken stoppingToken) => midAdd ? _drainOver.Token : stoppingToken;

    private async Task RunAsync(CniConnection connection, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await connection.ServeAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer went away or the daemon is stopping: nothing to answer.
        }
        catch (Exception ex)
        {
            LogConnectionFailed(logger, ex.GetType().Name, ex.Message);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    /// <summary>
    /// Parses, checks and answers one request frame within its deadline; for a <paramref name="client"/>, records
    /// which ADD it is in the middle of, under the same per-container lock as the request.
    /// </summary>
    internal async Task<(Request? Request, Response Response)> ProcessAsync(byte[] frame, PeerCredentials peer, RequestDeadline deadline, CniConnection? client = null)
    {
        var peeked = PeekVersion(frame);
        if (peeked is not { } version || !ProtocolVersion.IsSpoken(version))
        {
            // Sent in the newest version spoken, which a newer client takes up (ProtocolVersion).
            return (null, CniRequestHandler.Error(ErrorKind.UnsupportedVersion, $"frame speaks protocol version {peeked?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}; this yurtnetd speaks {ProtocolVersion.Oldest} to {ProtocolVersion.Current}: install yurtnet and yurtnetd of the same or adjacent releases"));
        }

        var started = Stopwatch.GetTimestamp();
        var (request, response) = await AnswerAsync(frame, peer, deadline, client);
        if (request is not null)
        {
            metrics.Record(request, response, started);
        }

        return (request, response.Version == version ? response : response with { Version = version });
    }

    private async Task<(Request? Request, Response Response)> AnswerAsync(byte[] frame, PeerCredentials peer, RequestDeadline deadline, CniConnection? client)
    {
        Request request;
        try
        {
            request = JsonSerializer.Deserialize(frame, ProtocolJsonContext.Default.Request) ?? throw new JsonException("null request");
            if (request.NullMember() is { } member)
            {
                throw new JsonException($"{member} is null");
            }
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            return (null, CniRequestHandler.Error(ErrorKind.InvalidRequest, $"cannot read the request: {ex.Message}"));
        }

        var started = Stopwatch.GetTimestamp();
        using var timeout = new CancellationTokenSource(deadline.Remaining > TimeSpan.Zero ? deadline.Remaining : TimeSpan.FromMilliseconds(1));
        var slotTaken = false;
        try
        {
            await _slots.WaitAsync(timeout.Token);
            slotTaken = true;
            using (request.SerializationKey is { } key ? await _containers.AcquireAsync(key, timeout.Token) : null)
            {
                var response = await handler.HandleAsync(request, timeout.Token);
                if (client is not null)
                {
                    Track(client, request, response);
                }

                // STATUS is a poll (containerd's every few seconds, the liveness probe's): a line in the journal when its
                // answer changes (not ready, and why), not each time.
                var level = (request, response) is (StatusRequest asked, StatusResponse status) && !StatusChanged(asked, status) ? LogLevel.Debug : LogLevel.Information;
                if (logger.IsEnabled(level))
                {
                    LogRequest(logger, level, request.GetType().Name, request.Id, request.SerializationKey ?? "-", peer.Pid, response.GetType().Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                return (request, response);
            }
        }
        catch (OperationCanceledException)
        {
            return (request, CniRequestHandler.Error(ErrorKind.TryAgainLater, $"request deadline of {deadline.Budget.TotalSeconds:0.#} s exceeded") with { Id = request.Id });
        }
        catch (State.StoreUnavailableException ex)
        {
            return (request, CniRequestHandler.Error(ErrorKind.TryAgainLater, $"the state cannot be made durable now: store {ex.Message}") with { Id = request.Id });
        }
        catch (Exception ex)
        {
            LogRequestFailed(logger, request.GetType().Name, request.Id, ex.GetType().Name, ex.Message);
            return (request, CniRequestHandler.Error(ErrorKind.Internal, ex.Message) with { Id = request.Id });
        }
        finally
        {
            if (slotTaken)
            {
                _slots.Release();
            }
        }
    }

    /// <summary>Whether this STATUS answer differs from the last one for the same network (ready, or not ready and why).</summary>
    private bool StatusChanged(StatusRequest request, StatusResponse status)
    {
        var answer = status.Ready ? "" : "not ready: " + status.Reason;
        lock (_lastStatus)
        {
            if (_lastStatus.Count > 64)
            {
                // Networks are few; names that never repeat (a client's bug) must not grow this.
                _lastStatus.Clear();
            }

            var key = request.Network ?? "";
            var last = _lastStatus.GetValueOrDefault(key, "");
            _lastStatus[key] = answer;
            return last != answer;
        }
    }

    private void Track(CniConnection client, Request request, Response response)
    {
        switch (request, response)
        {
            case (AllocateRequest allocate, AllocateResponse { Existing: false }):
                _attempts[(allocate.ContainerId, allocate.IfName)] = client;
                client.Adopt((allocate.ContainerId, allocate.IfName), allocate.Network);
                break;
            case (CommitRequest commit, CommitResponse):
                _attempts.TryRemove((commit.ContainerId, commit.IfName), out _);
                client.Settle((commit.ContainerId, commit.IfName));
                break;
            case (ReleaseRequest release, ReleaseResponse):
                _attempts.TryRemove((release.ContainerId, release.IfName), out _);
                client.Settle((release.ContainerId, release.IfName));
                break;
        }
    }

    /// <summary>
    /// A client left between allocate and commit. If it still owns the ADD: its pending leases are freed
    /// (<paramref name="rollBack"/>), or, when yurtnetd stops, the ADD only stops counting as in progress (the plugin
    /// commits with the next yurtnetd). An ADD that another client took over is left to that client.
    /// </summary>
    internal async Task AbandonAsync(CniConnection client, (string ContainerId, string IfName) attachment, string network, string why, bool rollBack)
    {
        var (containerId, ifName) = attachment;
        using var timeout = new CancellationTokenSource(options.RequestTimeout);
        try
        {
            using (await _containers.AcquireAsync(containerId, timeout.Token))
            {
                if (!_attempts.TryRemove(new KeyValuePair<(string, string), CniConnection>(attachment, client)))
                {
                    return;
                }

                metrics.RecordAbandoned(containerId, ifName, rollBack);
                if (!rollBack)
                {
                    await handler.EndAttemptAsync(containerId, ifName);
                    return;
                }

                var released = await handler.RollBackAsync(containerId, ifName, network, timeout.Token);
                LogRolledBack(logger, containerId, ifName, released, why);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteDB.LiteException or OperationCanceledException)
        {
            // The lease stays pending: the reconciler frees it after pendingTimeout.
            LogRollBackFailed(logger, containerId, ifName, why, ex.Message);
            await handler.EndAttemptAsync(containerId, ifName);
        }
    }

    /// <summary>Logs why a client is cut off: every one counted, at most ten lines per ten seconds, the rest summed up.</summary>
    internal void CutOff(CniConnection connection, string reason)
    {
        int suppressed;
        lock (_cutOffGate)
        {
            CutOffs++;
            var now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_cutOffWindowStart, now) > CutOffLogWindow)
            {
                _cutOffWindowStart = now;
                _cutOffsInWindow = 0;
            }

            if (++_cutOffsInWindow > CutOffLogsPerWindow)
            {
                _cutOffsSuppressed++;
                return;
            }

            suppressed = _cutOffsSuppressed;
            _cutOffsSuppressed = 0;
        }

        var peer = connection.Peer;
        LogCutOff(logger, peer.Pid, peer.Uid, reason, suppressed > 0 ? $" ({suppressed} more cut off since, not logged)" : "");
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
            listener.Listen(512);
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

    public override void Dispose()
    {
        _slots.Dispose();
        _drainOver.Dispose();
        Budget.Dispose();
        base.Dispose();
    }
}
