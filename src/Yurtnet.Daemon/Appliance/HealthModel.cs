using System.Diagnostics.Metrics;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Appliance;

/// <summary>
/// The one place that collects health inputs: uplink carrier, cloud link, store health, liveness, recent ADD
/// failures and the watchdogs' state. Components report into it; status, systemd STATUS= and (later) the LEDs read
/// a snapshot. Thread-safe; holds no I/O of its own.
/// </summary>
internal sealed class HealthModel(TimeProvider time, IMeterFactory? meters = null)
{
    /// <summary>The meter of the appliance's instruments (System.Diagnostics.Metrics; the Metrics component exports them).</summary>
    public const string MeterName = "Yurtnet.Daemon.Appliance";

    /// <summary>How long an ADD failure counts as recent.</summary>
    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(10);

    private readonly object _gate = new();
    private readonly Queue<DateTimeOffset> _failures = new();
    private readonly Dictionary<string, OperatorNotice> _notices = new(StringComparer.Ordinal);
    private string _uplink = "not configured";
    private string? _uplinkInterface;
    private string _store = "ok";
    private string _cloud = "standalone";
    private string? _cloudDetail;
    private LivenessReport _liveness = new(false, "starting");
    private string? _lastFailure;
    private string _systemdWatchdog = "off";
    private string _hardwareWatchdog = "not configured";
    private long _lastActivity = -1;
    private volatile bool _serving;
    private readonly Counter<long>? _keepAlives = meters?.Create(MeterName).CreateCounter<long>("yurtnet_watchdog_keepalives_total", description: "Keep-alives sent, by watchdog (systemd, hardware)");
    private readonly Counter<long>? _nearMisses = meters?.Create(MeterName).CreateCounter<long>("yurtnet_watchdog_near_misses_total", description: "Keep-alives that came later than two thirds of the timeout after the previous one, by watchdog: yurtnetd was nearly reset");

    /// <summary>True once the socket serves (the store is open and the spool drained).</summary>
    public bool Serving => _serving;

    public void SetServing() => _serving = true;

    /// <summary>When the last activity flash started (Unix ms), or -1.</summary>
    public long LastActivity => Interlocked.Read(ref _lastActivity);

    /// <summary>An ADD or DEL was served: starts an activity flash unless one started very recently.</summary>
    public void RecordActivity()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var last = Interlocked.Read(ref _lastActivity);
        if (last < 0 || now - last >= Leds.LedPatterns.FlashRateLimitMilliseconds)
        {
            Interlocked.Exchange(ref _lastActivity, now);
        }
    }

    public void SetUplink(string interfaceName, string state) => Update(() => (_uplinkInterface, _uplink) = (interfaceName, state));

    public void SetStore(string state) => Update(() => _store = state);

    /// <summary>The cluster link's verdict: <c>online</c>, <c>offline</c> or <c>unknown</c>, and what it rests on.</summary>
    public void SetCloud(string state, string? detail) => Update(() => (_cloud, _cloudDetail) = (state, detail));

    public void SetLiveness(LivenessReport report) => Update(() => _liveness = report);

    public void SetSystemdWatchdog(string state) => Update(() => _systemdWatchdog = state);

    public void SetHardwareWatchdog(string state) => Update(() => _hardwareWatchdog = state);

    /// <summary>
    /// Records a watchdog keep-alive; one that comes later than two thirds of <paramref name="timeout"/> after the
    /// previous one is a near-miss: the daemon was slow enough to almost be reset. Returns true for a near-miss.
    /// </summary>
    public bool RecordKeepAlive(string watchdog, TimeSpan timeout, ref DateTimeOffset previous)
    {
        var now = time.GetUtcNow();
        var gap = now - previous;
        var nearMiss = previous != default && gap > timeout * 2 / 3;
        var tag = new KeyValuePair<string, object?>("watchdog", watchdog);
        if (previous == default)
        {
            // The first keep-alive: the near-miss series starts at 0, so that a rate over it works from the start.
            _nearMisses?.Add(0, tag);
        }

        previous = now;
        _keepAlives?.Add(1, tag);
        if (nearMiss)
        {
            _nearMisses?.Add(1, tag);
            Notice(OperatorNotices.WatchdogNearMiss, "Warning", $"{watchdog} watchdog keep-alive came {gap.TotalSeconds:0.0} s after the last, timeout {timeout.TotalSeconds:0.#} s: yurtnetd was nearly reset");
            RecordFailure($"{watchdog} watchdog near-miss: keep-alive {gap.TotalSeconds:0.0} s after the last, timeout {timeout.TotalSeconds:0.#} s");
        }

        return nearMiss;
    }

    /// <summary>A failure the fault LED and status show: a failed ADD or a watchdog near-miss.</summary>
    public void RecordFailure(string what) => Update(() =>
    {
        _failures.Enqueue(time.GetUtcNow());
        _lastFailure = $"{time.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ} {what}";
    });

    /// <summary>Raised after a notice was counted (outside the lock): the cluster link wakes to send it.</summary>
    public event Action? Noticed;

    /// <summary>
    /// Counts something an operator must act on (<see cref="OperatorNotices"/>); repeats of a reason are one notice with
    /// a count and the last message, so a storm of them stays one Event. Never blocks: the cluster link sends them.
    /// </summary>
    public void Notice(string reason, string type, string message)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            _notices[reason] = _notices.TryGetValue(reason, out var seen)
                ? seen with { Type = type, Message = message, Count = seen.Count + 1, Last = now }
                : new OperatorNotice(reason, type, message, 1, now, now);
        }

        Noticed?.Invoke();
    }

    /// <summary>Every notice counted since the start, by reason.</summary>
    public IReadOnlyList<OperatorNotice> Notices()
    {
        lock (_gate)
        {
            return [.. _notices.Values];
        }
    }

    public HealthInfo Snapshot()
    {
        lock (_gate)
        {
            var cutoff = time.GetUtcNow() - FailureWindow;
            while (_failures.Count > 0 && _failures.Peek() < cutoff)
            {
                _failures.Dequeue();
            }

            return new HealthInfo
            {
                Uplink = _uplink,
                UplinkInterface = _uplinkInterface,
                Cloud = _cloud,
                CloudDetail = _cloudDetail,
                Cni = !_serving ? "starting" : _store == "ok" ? "ready" : $"not ready: {_store}",
                Store = _store,
                Liveness = _liveness.Summary,
                Alive = _liveness.Alive,
                RecentFailures = _failures.Count,
                LastFailure = _lastFailure,
                SystemdWatchdog = _systemdWatchdog,
                HardwareWatchdog = _hardwareWatchdog,
            };
        }
    }

    private void Update(Action change)
    {
        lock (_gate)
        {
            change();
        }
    }
}
