using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.CniApi;

/// <summary>
/// The CNI operations yurtnetd answered, as the runtime would count them (containerd's
/// <c>network_plugin_operations_*</c>): by verb and result, with their time in the daemon. An ADD runs from its
/// allocate to its commit (the plugin's plumbing in between included); one the plugin rolled back or left is a failed
/// ADD. DEL, CHECK, GC and the plugin's STATUS are one request each; yurtnetctl's requests are not CNI operations.
/// The instruments are System.Diagnostics.Metrics ones: the Metrics component exports them, and without a listener
/// they cost a flag test.
/// </summary>
internal sealed class CniOperationMetrics
{
    public const string MeterName = "Yurtnet.Daemon.CniApi";

    /// <summary>1 ms to 10 s: a daemon-side ADD takes a few ms, one waiting for a slow card seconds.</summary>
    internal static readonly double[] DurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly FrozenDictionary<ErrorKind, string> Results =
        Enum.GetValues<ErrorKind>().ToFrozenDictionary(k => k, k => JsonNamingPolicy.SnakeCaseLower.ConvertName(k.ToString()));

    private readonly Counter<long> _operations;
    private readonly Histogram<double> _duration;

    /// <summary>When each ADD between its allocate and its commit started (Stopwatch ticks).</summary>
    private readonly ConcurrentDictionary<(string ContainerId, string IfName), long> _adds = new();

    public CniOperationMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _operations = meter.CreateCounter<long>("yurtnet_cni_operations_total", description: "CNI operations answered by yurtnetd, by verb and result (ok, or why it failed)");
        _duration = meter.CreateHistogram("yurtnet_cni_operation_duration_seconds", unit: "s", description: "Time of a CNI operation in yurtnetd (an ADD from its allocate to its commit), by verb", tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    }

    /// <summary>
    /// ADDs timed between allocate and commit now. A plugin that left without either, and whose rollback could not be
    /// made, leaves its entry: those older than <see cref="StaleAfter"/> go once there are more than <see cref="Pruned"/>.
    /// </summary>
    internal int AddsInProgress => _adds.Count;

    /// <summary>No ADD takes that long between its allocate and its commit (the plugin's deadline is far shorter).</summary>
    internal static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    internal const int Pruned = 256;

    /// <summary>Records what an answered request means for the CNI operation it belongs to; nothing when nobody listens.</summary>
    public void Record(Request request, Response response, long started)
    {
        if (!_operations.Enabled && !_duration.Enabled)
        {
            return;
        }

        var result = response is ErrorResponse error ? Results[error.Error] : "ok";
        switch (request)
        {
            case AllocateRequest allocate when result == "ok":
                // A resent allocate (the plugin reconnected) continues the ADD that started first.
                if (_adds.TryAdd((allocate.ContainerId, allocate.IfName), started) && _adds.Count > Pruned)
                {
                    foreach (var (key, since) in _adds)
                    {
                        if (Stopwatch.GetElapsedTime(since) > StaleAfter)
                        {
                            _adds.TryRemove(key, out _);
                        }
                    }
                }

                break;
            case AllocateRequest allocate:
                Count("ADD", result, Take(allocate.ContainerId, allocate.IfName) ?? started);
                break;
            case CommitRequest commit:
                Count("ADD", result, Take(commit.ContainerId, commit.IfName) ?? started);
                break;
            case ReleaseRequest { Rollback: true } rollback:
                // The plugin could not plumb the pod and gave the addresses back: its ADD failed.
                Count("ADD", result == "ok" ? "rolled_back" : result, Take(rollback.ContainerId, rollback.IfName) ?? started);
                break;
            case ReleaseRequest release:
                _ = Take(release.ContainerId, release.IfName);
                Count("DEL", result, started);
                break;
            case CheckRequest:
                Count("CHECK", response is CheckResponse { Active: false } ? "not_active" : result, started);
                break;
            case StatusRequest { Network: not null }:
                Count("STATUS", result, started);
                break;
            case GcRequest:
                Count("GC", result, started);
                break;
        }
    }

    /// <summary>The plugin left between allocate and commit: a failed ADD when its addresses were rolled back.</summary>
    public void RecordAbandoned(string containerId, string ifName, bool rolledBack)
    {
        if (Take(containerId, ifName) is { } started && rolledBack)
        {
            Count("ADD", "abandoned", started);
        }
    }

    private long? Take(string containerId, string ifName) => _adds.TryRemove((containerId, ifName), out var started) ? started : null;

    private void Count(string verb, string result, long started)
    {
        _operations.Add(1, new KeyValuePair<string, object?>("verb", verb), new KeyValuePair<string, object?>("result", result));
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("verb", verb));
    }
}
