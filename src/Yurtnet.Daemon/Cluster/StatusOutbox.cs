using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.PodStatus;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Delivers the outbox: each pod's latest network status as a merge patch of its
/// <c>k8s.v1.cni.cncf.io/network-status</c> annotation, through the client's token bucket. Sends only while the
/// cloud is online and only for pods the pod watch knows; an entry counts as delivered only when the answer shows
/// the annotation as sent (offline, yurthub answers a PATCH with 200 and the unchanged object). Entries of pods that
/// the live API no longer has, or has under another UID, are dropped. Failures back off with jitter; nothing is
/// polled: the outbox wakes on a new entry, a cloud transition or a change of the pod view.
/// </summary>
internal sealed partial class StatusOutbox(ClusterClient client, CloudHealth cloud, PodView view, LeaseKeeper keeper, ClusterOptions options, TimeProvider time, ILogger<StatusOutbox> logger) : IDisposable
{
    /// <summary>Re-checks entries waiting for their pod even when nothing wakes the outbox (a local timer, no request).</summary>
    private static readonly TimeSpan IdleRecheck = TimeSpan.FromSeconds(30);

    private readonly WakeSignal _wake = new();
    private readonly Backoff _backoff = new(Random.Shared);
    private readonly HashSet<(string Pod, long Sequence)> _parked = [];
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        keeper.OutboxChanged += Wake;
        view.Changed += OnViewChanged;
        cloud.Changed += OnCloudChanged;
        try
        {
            var pending = await keeper.OutboxAsync(stoppingToken);
            if (pending.Count > 0)
            {
                LogPending(logger, pending.Count);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                var delay = IdleRecheck;
                if (cloud.State == CloudState.Online && !await PassAsync(stoppingToken))
                {
                    delay = _backoff.Next();
                    await Task.Delay(delay, time, stoppingToken);
                    continue;
                }

                await _wake.WaitAsync(delay, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            keeper.OutboxChanged -= Wake;
            view.Changed -= OnViewChanged;
            cloud.Changed -= OnCloudChanged;
        }
    }

    private void OnViewChanged()
    {
        lock (_parked)
        {
            _parked.Clear();
        }

        Wake();
    }

    private void OnCloudChanged(CloudState state, string detail, DateTimeOffset since) => _wake.Wake();

    private void Wake() => _wake.Wake();

    /// <summary>One pass over the outbox; false when a request failed and the next pass must wait.</summary>
    private async Task<bool> PassAsync(CancellationToken cancellationToken)
    {
        var (pods, fresh) = view.Snapshot();
        foreach (var entry in await keeper.OutboxAsync(cancellationToken))
        {
            lock (_parked)
            {
                if (_parked.Contains((entry.PodKey, entry.Sequence)))
                {
                    continue;
                }
            }

            if (!pods.TryGetValue(entry.PodKey, out var pod))
            {
                // Not (yet) known. Dropped only on the live server's word, and not before a new pod's watch event had time to arrive.
                if (fresh && time.GetUtcNow() - entry.Since >= options.GcGrace)
                {
                    await DropAsync(entry, "the API server has no such pod on this node", cancellationToken);
                }

                continue;
            }

            if (entry.PodUid is { } uid && uid != pod.Uid)
            {
                if (fresh)
                {
                    await DropAsync(entry, $"the pod was replaced (UID {uid} is now {pod.Uid})", cancellationToken);
                }

                continue;
            }

            if (pod.NetworkStatus == entry.Status)
            {
                // Already there (delivered before a restart, say): no request needed.
                await keeper.RemoveOutboxAsync(entry.PodKey, entry.Sequence, cancellationToken);
                continue;
            }

            if (!await SendAsync(entry, pod.Uid, cancellationToken))
            {
                return false;
            }
        }

        _backoff.Reset();
        return true;
    }

    private async Task DropAsync(OutboxEntry entry, string reason, CancellationToken cancellationToken)
    {
        if (await keeper.RemoveOutboxAsync(entry.PodKey, entry.Sequence, cancellationToken))
        {
            LogDropped(logger, entry.PodKey, reason);
        }
    }

    /// <summary>One merge patch; false when the outbox must back off (the cloud is not really there, or refuses).</summary>
    private async Task<bool> SendAsync(OutboxEntry entry, string uid, CancellationToken cancellationToken)
    {
        var path = $"api/v1/namespaces/{Uri.EscapeDataString(entry.Namespace)}/pods/{Uri.EscapeDataString(entry.Name)}";
        if (await ApiWrite.SendAsync(client, cloud, HttpMethod.Patch, path, Patch(uid, entry.Status), "application/merge-patch+json", cancellationToken) is not { } answer)
        {
            return false;
        }

        switch (answer.Code)
        {
            case HttpStatusCode.OK when AnnotationIn(answer.Body) == entry.Status:
                cloud.ReportLive();
                await keeper.RemoveOutboxAsync(entry.PodKey, entry.Sequence, cancellationToken);
                LogDelivered(logger, entry.PodKey, time.GetUtcNow() - entry.Since);
                return true;
            case HttpStatusCode.OK or HttpStatusCode.Created:
                // yurthub offline: the cached object (PATCH) or an echo (POST), the change not applied.
                LogNotApplied(logger, entry.PodKey, (int)answer.Code);
                return false;
            case HttpStatusCode.NotFound:
                // The live server has no such pod (the watch will say so), or yurthub has none cached: wait for the view to change.
                lock (_parked)
                {
                    _parked.Add((entry.PodKey, entry.Sequence));
                }

                return true;
            case HttpStatusCode.Conflict when answer.Body.Contains("Precondition failed", StringComparison.OrdinalIgnoreCase):
                await DropAsync(entry, $"the pod was replaced (UID {uid} no longer matches)", cancellationToken);
                return true;
            default:
                LogRefused(logger, entry.PodKey, (int)answer.Code, ApiWrite.Excerpt(answer.Body));
                return false;
        }
    }

    public void Dispose() => _wake.Dispose();

    internal static byte[] Patch(string uid, string status)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");

            // A precondition: the API server refuses (409) to patch a successor pod of the same name.
            json.WriteString("uid", uid);
            json.WriteStartObject("annotations");
            json.WriteString(NetworkStatus.Annotation, status);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>The network-status annotation in an answer's object, or null.</summary>
    internal static string? AnnotationIn(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return KubeObject.Annotation(document.RootElement, NetworkStatus.Annotation);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
