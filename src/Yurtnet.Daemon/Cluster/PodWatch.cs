using System.Text.Json;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.PodStatus;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Follows the pods of this node (one list+watch, field selector <c>spec.nodeName</c>, re-applied here because
/// yurthub's offline lists ignore it) into the <see cref="PodView"/>: their UIDs and the annotations yurtnet reads
/// and writes. Lists again whenever the cloud comes back, so the view that GC and the outbox trust is the live
/// server's, not yurthub's cache.
/// </summary>
internal sealed partial class PodWatch(ClusterClient client, CloudHealth cloud, PodView view, ClusterOptions options, TimeProvider time, ILogger<PodWatch> logger)
{
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        // Whatever the cloud does next, what was seen before is not fresh until the live server speaks again.
        void OnCloudChanged(CloudState state, string detail, DateTimeOffset since) => view.Invalidate();
        cloud.Changed += OnCloudChanged;
        try
        {
            await new KubeListWatch(client, cloud, "api/v1/pods", KubeListWatch.FieldSelector($"spec.nodeName={options.NodeName}"), options.WatchTimeout, time, logger)
                .RunAsync(OnListAsync, OnEventAsync, stoppingToken);
        }
        finally
        {
            cloud.Changed -= OnCloudChanged;
        }
    }

    private Task OnListAsync(IReadOnlyList<JsonElement> items, CancellationToken cancellationToken)
    {
        var online = cloud.State == CloudState.Online;
        var pods = items.Where(OnThisNode).Select(Facts).OfType<PodFacts>().ToList();
        view.Replace(pods, online);
        LogListed(logger, pods.Count, online ? "the live API server" : "yurthub's cache, possibly stale");
        return Task.CompletedTask;
    }

    private Task OnEventAsync(string type, JsonElement item, CancellationToken cancellationToken)
    {
        switch (type)
        {
            case "BOOKMARK":
                view.Confirm();
                break;
            case "ADDED" or "MODIFIED" or "DELETED" when OnThisNode(item) && Facts(item) is { } pod:
                view.Apply(type == "DELETED", pod);
                break;
        }

        return Task.CompletedTask;
    }

    private bool OnThisNode(JsonElement pod) =>
        pod.TryGetProperty("spec", out var spec) && spec.TryGetProperty("nodeName", out var node) && node.ValueKind == JsonValueKind.String && node.GetString() == options.NodeName;

    internal static PodFacts? Facts(JsonElement pod) =>
        KubeObject.Metadata(pod, "namespace") is { } ns && KubeObject.Metadata(pod, "name") is { } name && KubeObject.Metadata(pod, "uid") is { } uid
            ? new PodFacts($"{ns}/{name}", uid, KubeObject.Annotation(pod, NetworkStatus.Annotation), KubeObject.Annotation(pod, Protocol.Annotations.RequestedIp))
            : null;
}
