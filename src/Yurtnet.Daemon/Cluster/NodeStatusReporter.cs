using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Configuration;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Keeps the Node's word about the pod network true (<see cref="NodeReport"/>): one strategic merge patch of the
/// status subresource (the condition and the annotation), sent only while the cloud is online and counted only when
/// the answer shows this very write (its heartbeat): offline, yurthub answers 200 with its cached Node, and that is
/// retried, not believed. The latest report wins: the state is looked at every <see cref="Recheck"/>; a flip of the
/// condition is written then (10 s at least between two writes), changed counts at most every
/// <c>nodeStatusInterval</c>, and every request goes through the client's token bucket. The condition's decision and
/// its time are kept in the store, so a change decided offline (or before a restart) keeps its
/// <c>lastTransitionTime</c> and is the one written later.
/// </summary>
internal sealed partial class NodeStatusReporter(ClusterClient client, CloudHealth cloud, ClusterFacts facts, LeaseKeeper keeper, PeerNetwork peers, HealthModel health, ClusterOptions options, TimeProvider time, ILogger<NodeStatusReporter> logger) : IDisposable
{
    /// <summary>How often the local state is looked at for a change: in memory, no request unless the report changed.</summary>
    internal static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);

    /// <summary>The least time between two writes, also of condition flips (a card hovering at full): 10 s, or less with a shorter interval.</summary>
    private TimeSpan MinimumGap => options.NodeStatusInterval < TimeSpan.FromSeconds(10) ? options.NodeStatusInterval : TimeSpan.FromSeconds(10);

    private readonly WakeSignal _wake = new();
    private readonly Backoff _backoff = new(Random.Shared);
    private NodeReport? _delivered;
    private long _deliveredAt;
    private (bool Unavailable, DateTimeOffset Since)? _decision;
    private bool _decisionDurable;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        cloud.Changed += OnCloudChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Nothing is decided before the socket serves: "starting" for a moment at each restart is no news.
                if (health.Serving)
                {
                    var report = await ComposeAsync(stoppingToken);
                    var since = await DecidedSinceAsync(report, stoppingToken);
                    if (cloud.OnlineNow && Due(report) && !await SendAsync(report, since, stoppingToken))
                    {
                        await Task.Delay(_backoff.Next(), time, stoppingToken);
                        continue;
                    }
                }

                await _wake.WaitAsync(Recheck, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            cloud.Changed -= OnCloudChanged;
        }
    }

    public void Dispose() => _wake.Dispose();

    private async Task<NodeReport> ComposeAsync(CancellationToken cancellationToken) =>
        NodeReport.From(health.Snapshot(), await keeper.SnapshotAsync(cancellationToken), facts.Node?.PodCidrs ?? [], peers.Snapshot(), DaemonVersion.Text);

    /// <summary>
    /// A report is due when nothing was delivered since the start; when the condition changed (and the last write is
    /// <see cref="MinimumGap"/> old); or when only its counts or message changed and the interval passed.
    /// </summary>
    private bool Due(NodeReport report)
    {
        if (_delivered is null)
        {
            return true;
        }

        var age = time.GetElapsedTime(_deliveredAt);
        return report.SameCondition(_delivered) ? report != _delivered && age >= options.NodeStatusInterval : age >= MinimumGap;
    }

    /// <summary>
    /// When the condition took its current status: the decision in force (read from the store once, at the first
    /// look), or now for a new one. Kept durably when the store takes writes; while it does not (often the very reason
    /// the network is unavailable) it is kept in memory and written once the store is back, so a status decided then
    /// keeps its time and a later one never reuses an older.
    /// </summary>
    private async Task<DateTimeOffset> DecidedSinceAsync(NodeReport report, CancellationToken cancellationToken)
    {
        if (_decision is null && facts.NodeCondition is { } stored)
        {
            (_decision, _decisionDurable) = ((stored.Unavailable, stored.Since), true);
        }

        // A condition's transition is a change of its status; a new reason within the same status is not one.
        if (_decision is not { } current || current.Unavailable != report.Unavailable)
        {
            current = (report.Unavailable, time.GetUtcNow());
            (_decision, _decisionDurable) = (current, false);
            LogDecided(logger, report.Unavailable ? "True" : "False", report.Reason, report.Message);
        }

        if (!_decisionDurable && health.Snapshot().Store == "ok")
        {
            try
            {
                await facts.SaveNodeConditionAsync(new NodeConditionRecord(current.Unavailable, report.Reason, current.Since), cancellationToken);
                _decisionDurable = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteDB.LiteException or StoreUnavailableException)
            {
                // Tried again at the next look, once the store says it takes writes.
            }
        }

        return current.Since;
    }

    private async Task<bool> SendAsync(NodeReport report, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var path = $"api/v1/nodes/{Uri.EscapeDataString(options.NodeName)}/status";
        var heartbeat = time.GetUtcNow();
        if (await ApiWrite.SendAsync(client, cloud, HttpMethod.Patch, path, report.Patch(since, heartbeat), "application/strategic-merge-patch+json", cancellationToken) is not { } answer)
        {
            return false;
        }

        switch (answer.Code)
        {
            case HttpStatusCode.OK when Shows(answer.Body, report, heartbeat):
                cloud.ReportLive();
                (_delivered, _deliveredAt) = (report, time.GetTimestamp());
                _backoff.Reset();
                LogWritten(logger, options.NodeName, report.Unavailable ? "True" : "False", report.Reason);
                return true;
            case HttpStatusCode.OK:
                LogNotApplied(logger, options.NodeName);
                return false;
            default:
                LogRefused(logger, options.NodeName, (int)answer.Code, ApiWrite.Excerpt(answer.Body));
                return false;
        }
    }

    private static bool Shows(string body, NodeReport report, DateTimeOffset heartbeat)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return report.ShownBy(document.RootElement, heartbeat);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void OnCloudChanged(CloudState state, string detail, DateTimeOffset since) => _wake.Wake();
}
