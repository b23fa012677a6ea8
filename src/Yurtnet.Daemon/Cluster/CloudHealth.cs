using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Appliance;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Collects the cloud evidence (yurthub's report, our own requests' outcomes), applies <see cref="CloudVerdict"/>,
/// and publishes each transition: logged, shown in the health model, and remembered in the store through
/// <see cref="Changed"/>. Thread-safe.
/// </summary>
internal sealed partial class CloudHealth
{
    private readonly HealthModel _health;
    private readonly TimeProvider _time;
    private readonly ILogger<CloudHealth> _logger;
    private readonly object _gate = new();
    private HubReport _hub;
    private ApiEvidence _api;
    private CloudState _state = CloudState.Unknown;
    private DateTimeOffset _since;
    private string _detail = "starting";
    private long _unauthorized;
    private bool _evidenced;
    private DateTimeOffset? _leftOnline;

    public CloudHealth(HealthModel health, TimeProvider time, ILogger<CloudHealth> logger)
    {
        (_health, _time, _logger) = (health, time, logger);
        _since = time.GetUtcNow();

        // With a cluster link the cloud is "unknown" from the first moment, not "standalone" until the link's first
        // evidence: an ADD in between must be told to try again, not that its conflist is wrong. The hosted services
        // (and this, their dependency) are made before any of them starts, so before the socket serves.
        Publish(_state, _detail, _since);
    }

    /// <summary>Raised after a transition with the new state, its reason and its time (outside the lock).</summary>
    public event Action<CloudState, string, DateTimeOffset>? Changed;

    public CloudState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public DateTimeOffset Since
    {
        get
        {
            lock (_gate)
            {
                return _since;
            }
        }
    }

    /// <summary>
    /// Online on this run's evidence, not on a state remembered from before a restart: what a write to the cloud waits
    /// for (the remembered state is shown, but a write then would meet yurthub's cache as often as the cloud).
    /// </summary>
    public bool OnlineNow
    {
        get
        {
            lock (_gate)
            {
                return _state == CloudState.Online && _evidenced;
            }
        }
    }

    /// <summary>
    /// The last moment the cloud was known online from this run's evidence: now while it is, the moment it stopped
    /// being after that, null when it never was since the start (a state remembered from before a restart is no
    /// evidence).
    /// </summary>
    public DateTimeOffset? LastOnline
    {
        get
        {
            lock (_gate)
            {
                return _state == CloudState.Online && _evidenced ? _time.GetUtcNow() : _leftOnline;
            }
        }
    }

    /// <summary>401 answers seen (a rotated or fake token right after a reconnect); retried, never a verdict.</summary>
    public long Unauthorized => Interlocked.Read(ref _unauthorized);

    /// <summary>
    /// yurthub's word. When it calls the cloud unhealthy, earlier proof of a live watch is void: a probe that fails
    /// later (yurthub restarting, a slow answer) must not bring back "online" on evidence older than the outage.
    /// </summary>
    public void ReportHub(HubReport report) => Update(() =>
    {
        _hub = report;
        if (report == HubReport.Unhealthy && _api == ApiEvidence.Live)
        {
            _api = ApiEvidence.None;
        }
    });

    /// <summary>Something only the live API server sends arrived (a watch event or bookmark, a write that took).</summary>
    public void ReportLive() => Update(() => _api = ApiEvidence.Live);

    /// <summary>A request did not get through (transport error, timeout, 502/503/504).</summary>
    public void ReportFailure(string what)
    {
        LogRequestFailed(_logger, what);
        Update(() => _api = ApiEvidence.Failed);
    }

    public void ReportUnauthorized(string what)
    {
        Interlocked.Increment(ref _unauthorized);
        LogUnauthorized(_logger, what);
    }

    /// <summary>Shows a state remembered from before a restart until fresh evidence replaces it.</summary>
    public void Restore(CloudState state, DateTimeOffset since)
    {
        lock (_gate)
        {
            (_state, _since, _detail) = (state, since, "remembered from before the restart");
            _evidenced = false;
        }

        LogRestored(_logger, Name(state), since);
        Publish(state, "remembered from before the restart", since);
    }

    private void Update(Action record)
    {
        CloudState state;
        string detail;
        DateTimeOffset since;
        bool transition;
        lock (_gate)
        {
            record();
            (state, detail) = CloudVerdict.Decide(_hub, _api);
            if (state == _state && detail == _detail)
            {
                return;
            }

            transition = state != _state;
            if (transition)
            {
                _since = _time.GetUtcNow();
                if (_state == CloudState.Online && _evidenced)
                {
                    _leftOnline = _since;
                }
            }

            _evidenced = true;

            (_state, _detail, since) = (state, detail, _since);
        }

        Publish(state, detail, since);
        if (transition)
        {
            LogTransition(_logger, Name(state), detail);
            Changed?.Invoke(state, detail, since);
        }
    }

    private void Publish(CloudState state, string detail, DateTimeOffset since) =>
        _health.SetCloud(Name(state), $"{detail}, since {since:yyyy-MM-ddTHH:mm:ssZ}");

    public static string Name(CloudState state) => state switch
    {
        CloudState.Online => "online",
        CloudState.Offline => "offline",
        _ => "unknown",
    };
}
