using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// One list-then-watch of one resource with one selector (yurthub caches one selector per resource and
/// User-Agent). Lists, then watches from the list's resourceVersion with bookmarks and <c>timeoutSeconds</c>;
/// re-watches from the last version when a watch ends, re-lists on 410 Gone and after any failure, with backoff and
/// jitter. Never polls. Offline, yurthub answers the list from its cache (ignoring the selector: callers filter) and
/// holds the watch open without events; every event or bookmark is proof the cloud is live.
/// </summary>
internal sealed partial class KubeListWatch(IKubeTransport client, CloudHealth cloud, string path, string selector, TimeSpan watchTimeout, TimeProvider time, ILogger logger)
{
    /// <summary>The query part that selects by field, e.g. <c>metadata.name=gw-1</c>.</summary>
    public static string FieldSelector(string selector) => "fieldSelector=" + Uri.EscapeDataString(selector);

    /// <summary>The query part that selects by label, e.g. <c>apps.openyurt.io/nodepool=shop-12</c>; empty selects all.</summary>
    public static string LabelSelector(string selector) => selector.Length == 0 ? "" : "labelSelector=" + Uri.EscapeDataString(selector);

    private readonly object _gate = new();
    private CancellationTokenSource? _watch;
    private CancellationTokenSource? _pause;
    private volatile bool _relist;

    /// <summary>Ends the open watch, or the wait after a failure (the cloud is back: no reason to wait up to a minute), and lists again.</summary>
    private void RequestRelist()
    {
        lock (_gate)
        {
            _relist = true;
            _watch?.Cancel();
            _pause?.Cancel();
        }
    }

    /// <summary>
    /// Runs until cancelled. <paramref name="onList"/> gets every (re)list's items, <paramref name="onEvent"/> each
    /// ADDED, MODIFIED and DELETED object, and each BOOKMARK (whose object carries only a resourceVersion). Every
    /// time the cloud comes back online the resource is listed again, so what was learned offline from yurthub's
    /// cache is replaced by the live server's answer.
    /// </summary>
    public async Task RunAsync(Func<IReadOnlyList<JsonElement>, CancellationToken, Task> onList, Func<string, JsonElement, CancellationToken, Task> onEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onList);
        ArgumentNullException.ThrowIfNull(onEvent);
        void OnCloudChanged(CloudState state, string detail, DateTimeOffset since)
        {
            if (state == CloudState.Online)
            {
                RequestRelist();
            }
        }

        cloud.Changed += OnCloudChanged;
        try
        {
            await ListAndWatchAsync(onList, onEvent, cancellationToken);
        }
        finally
        {
            cloud.Changed -= OnCloudChanged;
        }
    }

    private async Task ListAndWatchAsync(Func<IReadOnlyList<JsonElement>, CancellationToken, Task> onList, Func<string, JsonElement, CancellationToken, Task> onEvent, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(Random.Shared);

        // The cloud's return may end one wait per run of failures: a watch that keeps failing on its own (a 5xx, a
        // timeout) while other watches' events keep turning the cloud online again must not relist without pause.
        var mayCut = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                _relist = false;
                var (items, version) = await ListAsync(cancellationToken);
                await onList(items, cancellationToken);
                backoff.Reset();
                mayCut = true;
                while (version is not null && !_relist)
                {
                    version = await WatchAsync(version, onEvent, cancellationToken);
                }

                LogRelist(logger, path);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or JsonException or ApiStatusException)
            {
                var wait = backoff.Next();
                if (ex is ApiStatusException { Status: HttpStatusCode.Unauthorized })
                {
                    cloud.ReportUnauthorized($"{path}: {ex.Message}");
                }
                else if (ex is ApiStatusException { Status: HttpStatusCode.BadRequest } && cloud.State == CloudState.Offline)
                {
                    // Offline, yurthub answers 400 to a User-Agent that is not a cache agent: expected, not a fault.
                    LogRetry(logger, path, $"offline, and yurthub does not answer this list from its cache ({ex.Message})", wait.TotalSeconds);
                }
                else if (ex is ApiStatusException { Status: HttpStatusCode.Forbidden or HttpStatusCode.BadRequest or HttpStatusCode.NotFound })
                {
                    LogRefused(logger, path, ex.Message, wait.TotalSeconds);
                }
                else
                {
                    cloud.ReportFailure($"{path}: {ex.Message}");
                    LogRetry(logger, path, ex.Message, wait.TotalSeconds);
                }

                if (await PauseAsync(wait, mayCut, cancellationToken))
                {
                    mayCut = false;
                }
            }
        }
    }

    /// <summary>
    /// The wait after a failure. When <paramref name="mayCut"/>, a relist request (the cloud came back online) ends it
    /// early; returns whether it did.
    /// </summary>
    private async Task<bool> PauseAsync(TimeSpan wait, bool mayCut, CancellationToken cancellationToken)
    {
        using var pause = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (mayCut)
        {
            lock (_gate)
            {
                if (_relist)
                {
                    return true;
                }

                _pause = pause;
            }
        }

        try
        {
            // ForceYielding: a relist request cancels this from the cloud's event, under its lock; the loop must go on
            // on a thread of its own, not on the caller's.
            await Task.Delay(wait, time, pause.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ForceYielding);
            return pause.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
        }
        finally
        {
            lock (_gate)
            {
                _pause = null;
            }
        }
    }

    private async Task<(IReadOnlyList<JsonElement> Items, string Version)> ListAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(client.BaseUri, selector.Length == 0 ? path : $"{path}?{selector}"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var root = document.RootElement;
        var version = KubeObject.Metadata(root, "resourceVersion") ?? "";

        // Offline, yurthub serves an empty cached list as "items": null.
        var items = root.TryGetProperty("items", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(i => i.Clone()).ToList()
            : [];
        return (items, version);
    }

    /// <summary>One watch request; returns the version to continue from, or null when the list must be redone (410).</summary>
    private async Task<string?> WatchAsync(string version, Func<string, JsonElement, CancellationToken, Task> onEvent, CancellationToken cancellationToken)
    {
        var seconds = (int)watchTimeout.TotalSeconds;
        var uri = new Uri(client.BaseUri, string.Create(CultureInfo.InvariantCulture,
            $"{path}?watch=true&allowWatchBookmarks=true&timeoutSeconds={seconds}&resourceVersion={Uri.EscapeDataString(version)}{(selector.Length == 0 ? "" : "&" + selector)}"));

        // The server ends the watch after timeoutSeconds; a connection that died silently is cut a little later.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(watchTimeout + TimeSpan.FromSeconds(30));
        lock (_gate)
        {
            if (_relist)
            {
                return null;
            }

            _watch = deadline;
        }

        try
        {
            return await WatchEventsAsync(uri, version, deadline, onEvent, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _relist)
        {
            LogRelistRequested(logger, path);
            return null;
        }
        finally
        {
            lock (_gate)
            {
                _watch = null;
            }
        }
    }

    private async Task<string?> WatchEventsAsync(Uri uri, string version, CancellationTokenSource deadline, Func<string, JsonElement, CancellationToken, Task> onEvent, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        await ThrowIfFailedAsync(response, deadline.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));
        try
        {
            while (await reader.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(line);
                var type = document.RootElement.GetProperty("type").GetString();
                var item = document.RootElement.GetProperty("object");
                switch (type)
                {
                    case "ERROR":
                        var code = item.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 0;
                        if (code == (int)HttpStatusCode.Gone)
                        {
                            return null;
                        }

                        throw new ApiStatusException((HttpStatusCode)code, item.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "watch error");
                    case "BOOKMARK":
                        cloud.ReportLive();
                        await onEvent(type, item, cancellationToken);
                        version = KubeObject.Metadata(item, "resourceVersion") ?? version;
                        break;
                    case "ADDED" or "MODIFIED" or "DELETED":
                        cloud.ReportLive();
                        await onEvent(type, item, cancellationToken);
                        version = KubeObject.Metadata(item, "resourceVersion") ?? version;
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_relist)
        {
            // Our deadline: the connection went silent past the server's own timeout. Watch again from where we were.
            LogSilentWatchCut(logger, path);
        }

        return version;
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var message = body;
        try
        {
            using var status = JsonDocument.Parse(body);
            message = status.RootElement.TryGetProperty("message", out var m) ? m.GetString() ?? body : body;
        }
        catch (JsonException)
        {
        }

        throw new ApiStatusException(response.StatusCode, message.Length > 300 ? message[..300] : message);
    }
}
