using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Sends the health model's operator notices as Kubernetes Events on this Node (namespace <c>default</c>, as kubelet
/// does), one Event per reason with its count: the first occurrence creates it, later ones raise its count, last
/// time and message, so a storm is one Event. Only while the cloud is online, through the client's token bucket,
/// never waited for by anything; an Event counts as sent only when the answer shows it (offline, yurthub echoes a
/// POST without creating anything: the echo has no uid). Notices live in memory: a restart before the cloud came
/// back loses them, as a kubelet's events would be.
/// </summary>
internal sealed partial class NodeEvents(ClusterClient client, CloudHealth cloud, HealthModel health, StateStore store, ClusterOptions options, TimeProvider time, ILogger<NodeEvents> logger) : IDisposable
{
    /// <summary>Where a Node's events go.</summary>
    internal const string Namespace = "default";

    private static readonly TimeSpan IdleRecheck = TimeSpan.FromSeconds(30);

    /// <summary>How long an Event the API server refused waits before it is tried again.</summary>
    private static readonly TimeSpan RefusedRetry = TimeSpan.FromMinutes(5);

    private readonly WakeSignal _wake = new();
    private readonly Backoff _backoff = new(Random.Shared);

    /// <summary>Per reason: the Event's name and the count the API server has.</summary>
    private readonly Dictionary<string, (string Name, int Count)> _sent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _refusedAt = new(StringComparer.Ordinal);

    /// <summary>Per reason: the name of the Event that replaces an expired one, kept until it is made (a lost answer meets 409).</summary>
    private readonly Dictionary<string, string> _replacing = new(StringComparer.Ordinal);
    private readonly string _run = time.GetUtcNow().ToUnixTimeMilliseconds().ToString("x", CultureInfo.InvariantCulture);
    private int _generation;

    /// <summary>The count of an Event not created yet.</summary>
    private const int NotCreated = -1;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (store.SetAsideTo is { } aside && !_sent.ContainsKey(OperatorNotices.StateStoreRebuilt) && !health.Notices().Any(n => n.Reason == OperatorNotices.StateStoreRebuilt))
        {
            health.Notice(OperatorNotices.StateStoreRebuilt, "Warning", $"the state database could not be read: set aside as {aside}, and the leases of running pods rebuilt from the host");
        }

        health.Noticed += _wake.Wake;
        cloud.Changed += OnCloudChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (cloud.OnlineNow && !await PassAsync(stoppingToken))
                {
                    await Task.Delay(_backoff.Next(), time, stoppingToken);
                    continue;
                }

                await _wake.WaitAsync(IdleRecheck, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            health.Noticed -= _wake.Wake;
            cloud.Changed -= OnCloudChanged;
        }
    }

    public void Dispose() => _wake.Dispose();

    /// <summary>Sends every notice whose count the API server does not have yet; false when a request failed.</summary>
    private async Task<bool> PassAsync(CancellationToken cancellationToken)
    {
        foreach (var notice in health.Notices())
        {
            if (!_sent.TryGetValue(notice.Reason, out var sent))
            {
                // The name is kept until it is created: a creation whose answer was lost is found again (409).
                _sent[notice.Reason] = sent = (NewName(notice.Reason), NotCreated);
            }

            if (sent.Count >= notice.Count || (_refusedAt.TryGetValue(notice.Reason, out var refused) && time.GetElapsedTime(refused) < RefusedRetry))
            {
                continue;
            }

            var outcome = sent.Count == NotCreated ? await CreateAsync(sent.Name, notice, cancellationToken) : await UpdateAsync(sent.Name, notice, cancellationToken);
            if (outcome == Outcome.Gone)
            {
                // Expired (the API server keeps Events an hour) or deleted: a new one with the whole count, under one
                // name until it is made, so that a creation whose answer was lost is found (409), never made twice.
                if (!_replacing.TryGetValue(notice.Reason, out var replacement))
                {
                    _replacing[notice.Reason] = replacement = NewName(notice.Reason);
                }

                outcome = await CreateAsync(replacement, notice, cancellationToken);
                if (outcome == Outcome.Sent)
                {
                    _replacing.Remove(notice.Reason);
                }
            }

            if (outcome == Outcome.Refused)
            {
                // This one Event is refused (RBAC, validation): logged, tried again in a while, and the others still go.
                _refusedAt[notice.Reason] = time.GetTimestamp();
                continue;
            }

            if (outcome != Outcome.Sent)
            {
                return false;
            }
        }

        _backoff.Reset();
        return true;
    }

    private string NewName(string reason) =>
        string.Create(CultureInfo.InvariantCulture, $"{options.NodeName}.yurtnet.{reason.ToLowerInvariant()}.{_run}.{++_generation}");

    private async Task<Outcome> CreateAsync(string name, OperatorNotice notice, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(HttpMethod.Post, $"api/v1/namespaces/{Namespace}/events", Event(name, notice), "application/json", notice, cancellationToken);
        if (outcome == Outcome.Sent)
        {
            _sent[notice.Reason] = (name, notice.Count);
        }
        else if (outcome == Outcome.Exists)
        {
            // Created by an earlier pass whose answer was lost: raise its count instead.
            _sent[notice.Reason] = (name, 0);
            return await UpdateAsync(name, notice, cancellationToken);
        }

        return outcome;
    }

    private async Task<Outcome> UpdateAsync(string name, OperatorNotice notice, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(HttpMethod.Patch, $"api/v1/namespaces/{Namespace}/events/{Uri.EscapeDataString(name)}", Update(notice), "application/merge-patch+json", notice, cancellationToken);
        if (outcome == Outcome.Sent)
        {
            _sent[notice.Reason] = (name, notice.Count);
        }

        return outcome;
    }

    private async Task<Outcome> SendAsync(HttpMethod method, string path, byte[] body, string contentType, OperatorNotice notice, CancellationToken cancellationToken)
    {
        if (await ApiWrite.SendAsync(client, cloud, method, path, body, contentType, cancellationToken) is not { } answer)
        {
            return Outcome.Failed;
        }

        switch (answer.Code)
        {
            case HttpStatusCode.OK or HttpStatusCode.Created when Shows(answer.Body, notice.Count):
                cloud.ReportLive();
                LogSent(logger, notice.Reason, notice.Count, notice.Message);
                return Outcome.Sent;
            case HttpStatusCode.OK or HttpStatusCode.Created:
                // yurthub offline: an echo of the request, or its cache; nothing was created.
                return Outcome.Failed;
            case HttpStatusCode.Conflict when method == HttpMethod.Post:
                return Outcome.Exists;
            case HttpStatusCode.NotFound when method == HttpMethod.Patch:
                return Outcome.Gone;
            case HttpStatusCode.TooManyRequests:
                // The API server is overloaded: back off, as after a failure.
                return Outcome.Failed;
            default:
                LogRefused(logger, notice.Reason, (int)answer.Code, ApiWrite.Excerpt(answer.Body));
                return Outcome.Refused;
        }
    }

    /// <summary>Whether an answer is an Event the API server stored (it has a uid) with this count.</summary>
    private static bool Shows(string answer, int count)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            var root = document.RootElement;
            return KubeObject.Metadata(root, "uid") is { Length: > 0 }
                && root.TryGetProperty("count", out var stored) && stored.ValueKind == JsonValueKind.Number && stored.GetInt32() == count;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private byte[] Event(string name, OperatorNotice notice)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("apiVersion", "v1");
            json.WriteString("kind", "Event");
            json.WriteStartObject("metadata");
            json.WriteString("name", name);
            json.WriteString("namespace", Namespace);
            json.WriteEndObject();
            json.WriteStartObject("involvedObject");
            json.WriteString("apiVersion", "v1");
            json.WriteString("kind", "Node");
            json.WriteString("name", options.NodeName);

            // As kubelet does for its Node's events: the UID is the node's name.
            json.WriteString("uid", options.NodeName);
            json.WriteEndObject();
            json.WriteString("reason", notice.Reason);
            json.WriteString("message", notice.Message);
            json.WriteString("type", notice.Type);
            json.WriteStartObject("source");
            json.WriteString("component", "yurtnetd");
            json.WriteString("host", options.NodeName);
            json.WriteEndObject();
            json.WriteString("reportingComponent", "yurtnet.openyurt.io/yurtnetd");
            json.WriteString("reportingInstance", options.NodeName);
            json.WriteString("firstTimestamp", KubeObject.Rfc3339(notice.First));
            json.WriteString("lastTimestamp", KubeObject.Rfc3339(notice.Last));
            json.WriteNumber("count", notice.Count);
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static byte[] Update(OperatorNotice notice)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("count", notice.Count);
            json.WriteString("message", notice.Message);
            json.WriteString("lastTimestamp", KubeObject.Rfc3339(notice.Last));
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private void OnCloudChanged(CloudState state, string detail, DateTimeOffset since) => _wake.Wake();

    private enum Outcome
    {
        Sent,
        Failed,
        Exists,
        Gone,
        Refused,
    }
}
