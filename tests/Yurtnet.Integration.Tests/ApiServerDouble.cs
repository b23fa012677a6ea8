using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Yurtnet.Integration.Tests;

/// <summary>How the double answers, as kube-apiserver or as yurthub does in its different situations.</summary>
public enum ApiMode
{
    /// <summary>kube-apiserver behind a healthy yurthub: selectors, resourceVersions, bookmarks, 410.</summary>
    Online,

    /// <summary>
    /// yurthub with the cloud unreachable: lists from its cache ignoring selectors, watches answered 200 and then
    /// silent until their timeout, PATCH 200 with the unchanged object, POST 201 echo, DELETE 403.
    /// </summary>
    Offline,

    /// <summary>Every request's connection is dropped.</summary>
    Dropping,

    /// <summary>Every request is held without an answer.</summary>
    Hanging,
}

/// <summary>
/// A Kubernetes API server double over real HTTPS on loopback (its own CA file for the client), plus yurthub's
/// management port (<c>/metrics</c>, <c>/v1/readyz</c>) over HTTP. It implements what yurtnetd uses of the API
/// (nodes and pods: list and watch with field selectors and resourceVersions, bookmarks, 410 Gone, merge patch)
/// and records every request.
/// </summary>
public sealed class ApiServerDouble : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly Dictionary<string, JsonObject> _nodes = [];
    private readonly Dictionary<string, JsonObject> _pods = [];
    private Dictionary<string, JsonObject> _cachedPods = [];
    private Dictionary<string, JsonObject> _cachedNodes = [];
    private ApiMode _mode = ApiMode.Online;
    private int _unauthorizedBurst;
    private int _patchesApplied;
    private int _nodeStatusPatchesApplied;
    private readonly Dictionary<string, JsonObject> _kubeEvents = [];
    private Dictionary<string, JsonObject> _cachedKubeEvents = [];
    private readonly List<(long Version, string Type, string Kind, JsonObject Object)> _events = [];
    private readonly Dictionary<long, JsonObject> _before = [];
    private readonly ConcurrentQueue<ApiRequest> _requests = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version = 100;
    private long _compactedBelow;
    private int _hanging;
    private int _bookmarks;
    private int _apiPort;
    private int _hubPort;

    private ApiServerDouble(WebApplication app, string directory)
    {
        _app = app;
        Directory = directory;
    }

    /// <summary>Holds <c>ca.crt</c> (the server's certificate, self-signed) and <c>token</c>.</summary>
    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "ca.crt");

    public string TokenFile => Path.Combine(Directory, "token");

    public string Token { get; private set; } = "yurtnet-sa-token-1";

    public Uri Server => new($"https://127.0.0.1:{_apiPort}");

    /// <summary>The API's address on the extra listen address given to <see cref="StartAsync"/> (for gateways in network namespaces).</summary>
    public Uri ServerOn(IPAddress address) => new($"https://{address}:{_apiPort}");

    /// <summary>yurthub's management port on the extra listen address.</summary>
    public Uri HubManagementOn(IPAddress address) => new($"http://{address}:{_hubPort}");

    public Uri HubManagement => new($"http://127.0.0.1:{_hubPort}");

    /// <summary>
    /// How the double answers. Switching to <see cref="ApiMode.Offline"/> freezes yurthub's pod cache as it is at
    /// that moment: offline lists and PATCH answers come from that snapshot, whatever the cloud does meanwhile.
    /// </summary>
    public ApiMode Mode
    {
        get => _mode;
        set
        {
            lock (_gate)
            {
                if (value == ApiMode.Offline && _mode != ApiMode.Offline)
                {
                    _cachedPods = _pods.ToDictionary(p => p.Key, p => (JsonObject)p.Value.DeepClone());
                    _cachedNodes = _nodes.ToDictionary(p => p.Key, p => (JsonObject)p.Value.DeepClone());
                    _cachedKubeEvents = _kubeEvents.ToDictionary(p => p.Key, p => (JsonObject)p.Value.DeepClone());
                }

                _mode = value;
                Pulse();
            }
        }
    }

    /// <summary>Merge patches that changed a pod (online, applied by the "API server").</summary>
    public int PatchesApplied => Volatile.Read(ref _patchesApplied);

    /// <summary>Added to every API answer (a slow link).</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary><c>node_yurthub_server_healthy_status</c>: null until yurthub has seen a change (then absent), else 1 or 0.</summary>
    public bool? HubHealthy { get; set; }

    /// <summary>When true the management port drops its connections (yurthub down).</summary>
    public bool HubDown { get; set; }

    /// <summary>How often an online watch with bookmarks gets one.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(1);

    public int HangingRequests => Volatile.Read(ref _hanging);

    /// <summary>Bookmarks sent so far: each one shows a watch that stayed open.</summary>
    public int BookmarksSent => Volatile.Read(ref _bookmarks);

    public IReadOnlyList<ApiRequest> Requests => _requests.ToArray();

    /// <param name="also">Another local address to serve the API on (same port), e.g. one on a veth into a test site.</param>
    /// <param name="signedThroughIntermediate">
    /// The API's certificate signed by an intermediate CA that the server sends along, signed by the root that
    /// <c>ca.crt</c> holds (a cluster CA that delegates), instead of a self-signed one.
    /// </param>
    public static async Task<ApiServerDouble> StartAsync(IPAddress? also = null, bool signedThroughIntermediate = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryStartAsync(also, signedThroughIntermediate);
            }
            catch (IOException) when (also is not null && attempt < 5)
            {
                // FreePort's port was taken by someone else between the probe and Kestrel's bind (tests run in parallel).
            }
        }
    }

    private static async Task<ApiServerDouble> TryStartAsync(IPAddress? also, bool signedThroughIntermediate)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("yurtnet-api-").FullName;
        var (certificate, intermediate, root) = signedThroughIntermediate ? Delegated() : (SelfSigned(also), null, null);
        await File.WriteAllTextAsync(Path.Combine(directory, "ca.crt"), (root ?? certificate).ExportCertificatePem());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var apiPort = also is null ? 0 : FreePort();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // A client certificate is asked for, not required, as kube-apiserver does (--client-ca-file): a client may
            // authenticate with one (see TrustedClient) or with its token.
            var https = new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificate,
                ServerCertificateChain = intermediate is null ? null : [intermediate],
                ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (_, _, _) => true,
            };
            kestrel.Listen(IPAddress.Loopback, apiPort, listen => listen.UseHttps(https));
            if (also is not null)
            {
                kestrel.Listen(also, apiPort, listen => listen.UseHttps(https));
            }

            var hubPort = also is null ? 0 : FreePort();
            kestrel.Listen(IPAddress.Loopback, hubPort);
            if (also is not null)
            {
                kestrel.Listen(also, hubPort);
            }
        });
        var app = builder.Build();
        var server = new ApiServerDouble(app, directory);
        await File.WriteAllTextAsync(server.TokenFile, server.Token + "\n");
        app.Run(server.HandleAsync);
        try
        {
            await app.StartAsync();
        }
        catch (IOException)
        {
            await app.DisposeAsync();
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }

        var ports = app.Urls.Select(u => new Uri(u)).ToList();
        server._apiPort = ports.First(u => u.Scheme == "https").Port;
        server._hubPort = ports.First(u => u.Scheme == "http").Port;
        return server;
    }

    /// <summary>Creates or replaces a node with these pod CIDRs (an ADDED or MODIFIED event).</summary>
    public void SetNode(string name, params string[] podCidrs) => SetNode(name, null, [], podCidrs);

    /// <summary>
    /// Creates or replaces a node of NodePool <paramref name="pool"/> (its <c>apps.openyurt.io/nodepool</c> label) with
    /// these InternalIP addresses and pod CIDRs (an ADDED or MODIFIED event).
    /// </summary>
    public void SetNode(string name, string? pool, IReadOnlyList<string> internalIps, params string[] podCidrs)
    {
        lock (_gate)
        {
            var type = _nodes.ContainsKey(name) ? "MODIFIED" : "ADDED";
            var version = ++_version;
            var labels = new JsonObject { ["kubernetes.io/hostname"] = name };
            if (pool is not null)
            {
                labels["apps.openyurt.io/nodepool"] = pool;
            }

            var addresses = internalIps.Select(a => (JsonNode)new JsonObject { ["type"] = "InternalIP", ["address"] = a })
                .Append(new JsonObject { ["type"] = "Hostname", ["address"] = name }).ToArray();
            var node = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Node",
                ["metadata"] = new JsonObject { ["name"] = name, ["uid"] = $"uid-{name}", ["resourceVersion"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture), ["labels"] = labels },
                ["spec"] = new JsonObject { ["podCIDR"] = podCidrs.FirstOrDefault(), ["podCIDRs"] = new JsonArray(podCidrs.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()) },
                ["status"] = new JsonObject { ["addresses"] = new JsonArray(addresses) },
            };
            if (_nodes.TryGetValue(name, out var old))
            {
                _before[version] = old;
            }

            _nodes[name] = node;
            _events.Add((version, type, "nodes", node));
            Pulse();
        }
    }

    /// <summary>Deletes a node in the cloud (a DELETED event).</summary>
    public void DeleteNode(string name)
    {
        lock (_gate)
        {
            if (_nodes.Remove(name, out var node))
            {
                var version = ++_version;
                node["metadata"]!["resourceVersion"] = Rv(version);
                _events.Add((version, "DELETED", "nodes", node));
                Pulse();
            }
        }
    }

    /// <summary>Creates a pod bound to <paramref name="node"/> (an ADDED event); returns its UID.</summary>
    public string AddPod(string ns, string name, string node, string? uid = null, IReadOnlyDictionary<string, string>? annotations = null)
    {
        lock (_gate)
        {
            var version = ++_version;
            uid ??= Guid.NewGuid().ToString();
            var pod = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Pod",
                ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = name, ["uid"] = uid, ["resourceVersion"] = Rv(version), ["annotations"] = new JsonObject((annotations ?? new Dictionary<string, string>()).Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value)))) },
                ["spec"] = new JsonObject { ["nodeName"] = node },
            };
            _pods[$"{ns}/{name}"] = pod;
            _events.Add((version, "ADDED", "pods", pod));
            Pulse();
            return uid;
        }
    }

    /// <summary>Deletes a pod in the cloud (a DELETED event). An offline yurthub's cache keeps it.</summary>
    public void DeletePod(string ns, string name)
    {
        lock (_gate)
        {
            if (_pods.Remove($"{ns}/{name}", out var pod))
            {
                var version = ++_version;
                pod["metadata"]!["resourceVersion"] = Rv(version);
                _events.Add((version, "DELETED", "pods", pod));
                Pulse();
            }
        }
    }

    /// <summary>A pod's annotation in the cloud, or null.</summary>
    public string? PodAnnotation(string ns, string name, string annotation)
    {
        lock (_gate)
        {
            return _pods.TryGetValue($"{ns}/{name}", out var pod) ? pod["metadata"]?["annotations"]?[annotation]?.GetValue<string>() : null;
        }
    }

    /// <summary>yurthub's cache lacks a node the cloud still has (it was never listed under this cache key, say).</summary>
    public void ForgetCachedNode(string name)
    {
        lock (_gate)
        {
            _cachedNodes.Remove(name);
        }
    }

    /// <summary>yurthub lost its cache (a wiped disk): offline lists are now empty (<c>items: null</c>).</summary>
    public void WipeCache()
    {
        lock (_gate)
        {
            _cachedPods = [];
        }
    }

    /// <summary>The next <paramref name="count"/> requests get 401, whatever their token (a rotation seen late).</summary>
    public void RejectNext(int count) => Interlocked.Exchange(ref _unauthorizedBurst, count);

    private static string Rv(long version) => version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Forgets the event history (etcd compaction): a watch from an older version gets 410 Gone.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compactedBelow = _version + 1;
            _events.Clear();
            Pulse();
        }
    }

    /// <summary>Rotates the ServiceAccount token: the file changes, and only the new token is accepted.</summary>
    public async Task RotateTokenAsync(string token)
    {
        Token = token;
        await File.WriteAllTextAsync(TokenFile + ".new", token + "\n");
        File.Move(TokenFile + ".new", TokenFile, overwrite: true);
    }

    public int Count(string method, string pathPrefix, bool? watch = null) =>
        Requests.Count(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal) && (watch is null || r.Watch == watch));

    private void Pulse()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Connection.LocalPort == _hubPort)
        {
            await HubAsync(context);
            return;
        }

        var request = context.Request;
        var watch = request.Query["watch"] is { Count: > 0 } w && (w[0] == "true" || w[0] == "1");
        _requests.Enqueue(new ApiRequest(request.Method, request.Path + request.QueryString, watch,
            request.Headers.UserAgent.ToString(), request.Headers.Accept.ToString(), request.Headers.Authorization.ToString(), request.Protocol));
        switch (Mode)
        {
            case ApiMode.Dropping:
                context.Abort();
                return;
            case ApiMode.Hanging:
                Interlocked.Increment(ref _hanging);
                try
                {
                    while (Mode == ApiMode.Hanging && !context.RequestAborted.IsCancellationRequested)
                    {
                        await Task.Delay(50, CancellationToken.None);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _hanging);
                }

                context.Abort();
                return;
        }

        if (ResponseDelay > TimeSpan.Zero)
        {
            await Task.Delay(ResponseDelay, CancellationToken.None);
        }

        if (Interlocked.Decrement(ref _unauthorizedBurst) >= 0)
        {
            await StatusAsync(context, HttpStatusCode.Unauthorized, "Unauthorized");
            return;
        }

        if (Mode == ApiMode.Online && !Authenticated(context))
        {
            await StatusAsync(context, HttpStatusCode.Unauthorized, $"Unauthorized (got \"{request.Headers.Authorization}\")");
            return;
        }

        if (request.Method == "GET" && (request.Path == "/api/v1/nodes" || request.Path == "/api/v1/pods"))
        {
            var kind = request.Path == "/api/v1/nodes" ? "nodes" : "pods";
            var selector = (Field: request.Query["fieldSelector"].ToString(), Label: request.Query["labelSelector"].ToString());
            if (watch)
            {
                await WatchAsync(context, kind, selector);
            }
            else
            {
                await ListAsync(context, kind, selector);
            }

            return;
        }

        if (Mode == ApiMode.Offline && request.Method == "POST")
        {
            // yurthub's local proxy: a fake success echoing the request, nothing forwarded.
            context.Response.StatusCode = (int)HttpStatusCode.Created;
            context.Response.ContentType = "application/json";
            await request.Body.CopyToAsync(context.Response.Body);
            return;
        }

        if (Mode == ApiMode.Offline && request.Method == "DELETE")
        {
            await StatusAsync(context, HttpStatusCode.Forbidden, "delete request is not supported in local cache");
            return;
        }

        if (request.Method == "PATCH" && request.Path.StartsWithSegments("/api/v1/namespaces") && request.Path.Value!.Split('/') is [_, "api", "v1", "namespaces", var ns, "pods", var name])
        {
            await PatchPodAsync(context, $"{ns}/{name}");
            return;
        }

        if (request.Method == "PATCH" && request.Path.Value!.Split('/') is [_, "api", "v1", "nodes", var node, "status"])
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var (code, answer) = PatchNodeStatus(node, request.ContentType, body.RootElement);
            await JsonAsync(context, code, answer);
            return;
        }

        if (request.Path.Value!.Split('/') is [_, "api", "v1", "namespaces", var eventNs, "events", ..] parts && request.Method is "POST" or "PATCH")
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var (code, answer) = request.Method == "POST" ? CreateEvent(eventNs, body.RootElement) : PatchEvent(eventNs, parts.Length > 6 ? parts[6] : "", body.RootElement);
            await JsonAsync(context, code, answer);
            return;
        }

        await StatusAsync(context, HttpStatusCode.NotFound, $"the double does not serve {request.Method} {request.Path}");
    }

    private async Task PatchPodAsync(HttpContext context, string key)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var (code, answer) = PatchPod(key, context.Request.ContentType, body.RootElement);
        await JsonAsync(context, code, answer);
    }

    /// <summary>What kube-apiserver (or, offline, yurthub) answers a merge patch of a pod: the object, or a Status.</summary>
    private (HttpStatusCode Code, JsonNode Answer) PatchPod(string key, string? contentType, JsonElement patch)
    {
        lock (_gate)
        {
            if (Mode == ApiMode.Offline)
            {
                // yurthub offline: the cached object, the patch NOT applied.
                return _cachedPods.TryGetValue(key, out var cached) ? (HttpStatusCode.OK, cached.DeepClone()) : NotFound();
            }

            if (contentType != "application/merge-patch+json")
            {
                return Status(HttpStatusCode.UnsupportedMediaType, $"unsupported patch type {contentType}");
            }

            if (!_pods.TryGetValue(key, out var pod))
            {
                return NotFound();
            }

            var uid = pod["metadata"]!["uid"]!.GetValue<string>();
            if (patch.TryGetProperty("metadata", out var m) && m.TryGetProperty("uid", out var wanted) && wanted.GetString() != uid)
            {
                return Status(HttpStatusCode.Conflict, $"Operation cannot be fulfilled on pods \"{key}\": Precondition failed: UID in precondition: {wanted.GetString()}, UID in object meta: {uid}");
            }

            MergePatch(pod, JsonNode.Parse(patch.GetRawText())!.AsObject());
            var version = ++_version;
            pod["metadata"]!["resourceVersion"] = Rv(version);
            _events.Add((version, "MODIFIED", "pods", (JsonObject)pod.DeepClone()));
            Interlocked.Increment(ref _patchesApplied);
            Pulse();
            return (HttpStatusCode.OK, pod.DeepClone());
        }

        (HttpStatusCode, JsonNode) NotFound() => Status(HttpStatusCode.NotFound, $"pods \"{key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..]}\" not found");
    }

    /// <summary>
    /// What kube-apiserver answers a strategic merge patch of a Node's status subresource: annotations merged,
    /// conditions merged by type. Offline, yurthub answers with its cached Node, the patch not applied.
    /// </summary>
    private (HttpStatusCode Code, JsonNode Answer) PatchNodeStatus(string name, string? contentType, JsonElement patch)
    {
        lock (_gate)
        {
            if (Mode == ApiMode.Offline)
            {
                return _cachedNodes.TryGetValue(name, out var cached) ? (HttpStatusCode.OK, cached.DeepClone()) : Status(HttpStatusCode.NotFound, $"nodes \"{name}\" not found");
            }

            if (contentType != "application/strategic-merge-patch+json")
            {
                return Status(HttpStatusCode.UnsupportedMediaType, $"unsupported patch type {contentType}");
            }

            if (!_nodes.TryGetValue(name, out var node))
            {
                return Status(HttpStatusCode.NotFound, $"nodes \"{name}\" not found");
            }

            var changes = JsonNode.Parse(patch.GetRawText())!.AsObject();
            if (changes["metadata"]?["annotations"] is JsonObject annotations)
            {
                var target = node["metadata"]!.AsObject()["annotations"] as JsonObject ?? new JsonObject();
                node["metadata"]!["annotations"] = target;
                MergePatch(target, annotations);
            }

            var status = node["status"]!.AsObject();
            foreach (var condition in changes["status"]?["conditions"]?.AsArray() ?? [])
            {
                var list = status["conditions"] as JsonArray ?? new JsonArray();
                status["conditions"] = list;
                var type = condition!["type"]!.GetValue<string>();
                var existing = list.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);
                if (existing is null)
                {
                    list.Add(condition.DeepClone());
                }
                else
                {
                    MergePatch(existing, condition.AsObject());
                }
            }

            var version = ++_version;
            node["metadata"]!["resourceVersion"] = Rv(version);
            _events.Add((version, "MODIFIED", "nodes", (JsonObject)node.DeepClone()));
            Interlocked.Increment(ref _nodeStatusPatchesApplied);
            Pulse();
            return (HttpStatusCode.OK, node.DeepClone());
        }
    }

    private (HttpStatusCode Code, JsonNode Answer) CreateEvent(string ns, JsonElement body)
    {
        lock (_gate)
        {
            var item = JsonNode.Parse(body.GetRawText())!.AsObject();
            var name = item["metadata"]?["name"]?.GetValue<string>() ?? "";
            if (_kubeEvents.ContainsKey($"{ns}/{name}"))
            {
                return Status(HttpStatusCode.Conflict, $"events \"{name}\" already exists");
            }

            item["metadata"]!["uid"] = Guid.NewGuid().ToString();
            item["metadata"]!["resourceVersion"] = Rv(++_version);
            _kubeEvents[$"{ns}/{name}"] = item;
            return (HttpStatusCode.Created, item.DeepClone());
        }
    }

    private (HttpStatusCode Code, JsonNode Answer) PatchEvent(string ns, string name, JsonElement patch)
    {
        lock (_gate)
        {
            if (Mode == ApiMode.Offline)
            {
                // yurthub caches the answers to a cache agent's writes: the event as it was, the patch not applied.
                return _cachedKubeEvents.TryGetValue($"{ns}/{name}", out var cached) ? (HttpStatusCode.OK, cached.DeepClone()) : Status(HttpStatusCode.NotFound, $"events \"{name}\" not found");
            }

            if (!_kubeEvents.TryGetValue($"{ns}/{name}", out var item))
            {
                return Status(HttpStatusCode.NotFound, $"events \"{name}\" not found");
            }

            MergePatch(item, JsonNode.Parse(patch.GetRawText())!.AsObject());
            item["metadata"]!["resourceVersion"] = Rv(++_version);
            return (HttpStatusCode.OK, item.DeepClone());
        }
    }

    /// <summary>Status patches of Nodes applied by the "API server" (online).</summary>
    public int NodeStatusPatchesApplied => Volatile.Read(ref _nodeStatusPatchesApplied);

    /// <summary>A condition of a Node in the cloud, or null.</summary>
    public JsonObject? NodeCondition(string node, string type)
    {
        lock (_gate)
        {
            return _nodes.TryGetValue(node, out var n) && n["status"]?["conditions"] is JsonArray list
                ? list.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type)?.DeepClone().AsObject()
                : null;
        }
    }

    /// <summary>An annotation of a Node in the cloud, or null.</summary>
    public string? NodeAnnotation(string node, string annotation)
    {
        lock (_gate)
        {
            return _nodes.TryGetValue(node, out var n) ? n["metadata"]?["annotations"]?[annotation]?.GetValue<string>() : null;
        }
    }

    /// <summary>The Events the "API server" stored, by namespace/name.</summary>
    public IReadOnlyDictionary<string, JsonObject> KubeEvents
    {
        get
        {
            lock (_gate)
            {
                return _kubeEvents.ToDictionary(e => e.Key, e => e.Value.DeepClone().AsObject());
            }
        }
    }

    /// <summary>Events expire (the API server keeps them an hour).</summary>
    public void ExpireEvents()
    {
        lock (_gate)
        {
            _kubeEvents.Clear();
        }
    }

    /// <summary>RFC 7386 JSON merge patch.</summary>
    private static void MergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch.ToList())
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject child && target[name] is JsonObject existing)
            {
                MergePatch(existing, child);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }

    private async Task ListAsync(HttpContext context, string kind, (string Field, string Label) selector)
    {
        JsonObject list;
        lock (_gate)
        {
            // Offline, yurthub answers from its cache and does not apply the selector.
            var source = Mode == ApiMode.Offline ? (kind == "nodes" ? _cachedNodes : _cachedPods) : kind == "nodes" ? _nodes : _pods;
            var items = source.Values.Where(n => Mode == ApiMode.Offline || Matches(n, selector)).Select(n => n.DeepClone()).ToArray();
            list = new JsonObject
            {
                ["kind"] = kind == "nodes" ? "NodeList" : "PodList",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = _version.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                ["items"] = items.Length == 0 && Mode == ApiMode.Offline ? null : new JsonArray(items),
            };
        }

        await JsonAsync(context, HttpStatusCode.OK, list);
    }

    private async Task WatchAsync(HttpContext context, string kind, (string Field, string Label) selector)
    {
        var query = context.Request.Query;
        var timeout = TimeSpan.FromSeconds(int.TryParse(query["timeoutSeconds"], out var seconds) ? seconds : 1800);
        var since = long.TryParse(query["resourceVersion"], out var rv) ? rv : 0;
        var bookmarks = query["allowWatchBookmarks"] == "true";
        var end = DateTime.UtcNow + timeout;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.Body.FlushAsync(context.RequestAborted);
        var nextBookmark = DateTime.UtcNow + BookmarkInterval;
        try
        {
            while (DateTime.UtcNow < end && !context.RequestAborted.IsCancellationRequested)
            {
                if (Mode == ApiMode.Dropping)
                {
                    context.Abort();
                    return;
                }

                List<string> lines = [];
                Task changed;
                lock (_gate)
                {
                    changed = _changed.Task;
                    if (Mode == ApiMode.Online)
                    {
                        if (since < _compactedBelow)
                        {
                            lines.Add(Event("ERROR", new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["message"] = $"too old resource version: {since} ({_compactedBelow})", ["reason"] = "Expired", ["code"] = 410 }));
                            end = DateTime.MinValue;
                        }
                        else
                        {
                            foreach (var e in _events.Where(e => e.Version > since && e.Kind == kind))
                            {
                                // As kube-apiserver's watch cache: an object that leaves the selector is DELETED for this
                                // watch, one that enters it ADDED.
                                var now = Matches(e.Object, selector);
                                var before = _before.TryGetValue(e.Version, out var old) ? Matches(old, selector) : now;
                                var type = (before, now) switch
                                {
                                    (true, false) => "DELETED",
                                    (false, true) => "ADDED",
                                    (true, true) => e.Type,
                                    _ => null,
                                };
                                if (type is not null)
                                {
                                    lines.Add(Event(type, e.Object));
                                }
                            }

                            since = Math.Max(since, _version);
                            if (bookmarks && DateTime.UtcNow >= nextBookmark)
                            {
                                lines.Add(Event("BOOKMARK", new JsonObject { ["kind"] = "Node", ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["resourceVersion"] = _version.ToString(System.Globalization.CultureInfo.InvariantCulture) } }));
                                nextBookmark = DateTime.UtcNow + BookmarkInterval;
                                Interlocked.Increment(ref _bookmarks);
                            }
                        }
                    }
                }

                foreach (var line in lines)
                {
                    await context.Response.WriteAsync(line + "\n", context.RequestAborted);
                }

                if (lines.Count > 0)
                {
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }

                await Task.WhenAny(changed, Task.Delay(100, context.RequestAborted));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HubAsync(HttpContext context)
    {
        if (HubDown)
        {
            context.Abort();
            return;
        }

        if (context.Request.Path == "/v1/readyz")
        {
            await context.Response.WriteAsync("OK");
            return;
        }

        var metrics = new StringBuilder("# HELP node_yurthub_in_flight_requests_collector in flight requests\nnode_yurthub_in_flight_requests_collector{client=\"yurtnet\",resource=\"nodes\",verb=\"watch\"} 1\n");
        if (HubHealthy is { } healthy)
        {
            metrics.Append("# HELP node_yurthub_server_healthy_status healthy status of remote servers. 1: healthy, 0: unhealthy\n");
            metrics.Append("# TYPE node_yurthub_server_healthy_status gauge\n");
            metrics.Append(System.Globalization.CultureInfo.InvariantCulture, $"node_yurthub_server_healthy_status{{server=\"https://10.0.0.1:6443\"}} {(healthy ? 1 : 0)}\n");
        }

        await context.Response.WriteAsync(metrics.ToString());
    }

    private static bool Matches(JsonObject item, (string Field, string Label) selector) =>
        MatchesField(item, selector.Field) && MatchesLabels(item, selector.Label);

    /// <summary>Equality label selectors (<c>k=v</c>, comma-joined), which is what yurtnetd sends for a pool.</summary>
    private static bool MatchesLabels(JsonObject item, string selector) =>
        string.IsNullOrEmpty(selector) || selector.Split(',').All(requirement =>
        {
            var (key, value) = (requirement[..requirement.IndexOf('=', StringComparison.Ordinal)], requirement[(requirement.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            return item["metadata"]?["labels"]?[key]?.GetValue<string>() == value;
        });

    private static bool MatchesField(JsonObject item, string selector)
    {
        if (string.IsNullOrEmpty(selector))
        {
            return true;
        }

        var (field, value) = (selector[..selector.IndexOf('=', StringComparison.Ordinal)], selector[(selector.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        return field switch
        {
            "metadata.name" => item["metadata"]?["name"]?.GetValue<string>() == value,
            "spec.nodeName" => item["spec"]?["nodeName"]?.GetValue<string>() == value,
            _ => false,
        };
    }

    private static string Event(string type, JsonObject item) => new JsonObject { ["type"] = type, ["object"] = item.DeepClone() }.ToJsonString();

    private static Task StatusAsync(HttpContext context, HttpStatusCode code, string message) =>
        JsonAsync(context, code, Status(code, message).Answer);

    private static (HttpStatusCode Code, JsonNode Answer) Status(HttpStatusCode code, string message) =>
        (code, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["message"] = message, ["code"] = (int)code });

    private static async Task JsonAsync(HttpContext context, HttpStatusCode code, JsonNode body)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    /// <summary>
    /// A client certificate the "API server" authenticates (its thumbprint, as a client CA would vouch for it); null:
    /// only the token is accepted.
    /// </summary>
    public X509Certificate2? TrustedClient { get; set; }

    /// <summary>Basic auth the "API server" accepts (<c>user:password</c>), as kube-apiserver did before 1.19; null: none.</summary>
    public string? BasicCredentials { get; set; }

    /// <summary>The client certificates the API port was shown, by thumbprint (none: the client sent none).</summary>
    public IReadOnlyCollection<string> ClientCertificatesSeen
    {
        get
        {
            lock (_gate)
            {
                return [.. _clientCertificatesSeen];
            }
        }
    }

    private readonly HashSet<string> _clientCertificatesSeen = [];

    private bool Authenticated(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (context.Connection.ClientCertificate is { } presented)
        {
            lock (_gate)
            {
                _clientCertificatesSeen.Add(presented.Thumbprint);
            }
        }

        return authorization == $"Bearer {Token}"
            || (TrustedClient is { } client && context.Connection.ClientCertificate?.Thumbprint == client.Thumbprint)
            || (BasicCredentials is { } basic && authorization == $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(basic))}");
    }

    /// <summary>The API's certificate (self-signed: it is also the CA), PEM.</summary>
    public string CaPem => File.ReadAllText(CaFile);

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A root CA, an intermediate CA it signed, and the API's certificate (for 127.0.0.1) the intermediate signed.</summary>
    private static (X509Certificate2 Leaf, X509Certificate2 Intermediate, X509Certificate2 Root) Delegated()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = RSA.Create(2048);
        var rootRequest = new CertificateRequest("CN=cluster-root-ca", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var root = rootRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));

        using var intermediateKey = RSA.Create(2048);
        var intermediateRequest = new CertificateRequest("CN=cluster-intermediate-ca", intermediateKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var intermediatePublic = intermediateRequest.Create(root, now.AddMinutes(-4), now.AddDays(1.5), [1, 2, 3, 4]);
        using var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);

        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=yurthub-double", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leafPublic = leafRequest.Create(intermediate, now.AddMinutes(-3), now.AddDays(1), [5, 6, 7, 8]);
        using var leaf = leafPublic.CopyWithPrivateKey(leafKey);
        return (X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), null),
            X509CertificateLoader.LoadCertificate(intermediate.RawData), X509CertificateLoader.LoadCertificate(root.RawData));
    }

    private static X509Certificate2 SelfSigned(IPAddress? also)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=yurthub-double", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        if (also is not null)
        {
            san.AddIpAddress(also);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        Mode = ApiMode.Dropping;
        await _app.StopAsync();
        await _app.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>One request as the double received it.</summary>
public sealed record ApiRequest(string Method, string Path, bool Watch, string UserAgent, string Accept, string Authorization, string Protocol);
