using System.Globalization;
using System.Text.Json;

namespace Yurtnet.Protocol;

/// <summary>
/// The client side of the wire format, written by hand: encodes requests and decodes responses with
/// <see cref="Utf8JsonWriter"/> and <see cref="JsonDocument"/>, producing and accepting exactly what
/// <see cref="ProtocolJsonContext"/> does.
/// </summary>
/// <remarks>
/// The plugin is a process that lives for one request. Measured on the NativeAOT plugin, the first use of the
/// source-generated polymorphic context costs about 6 ms (serializer metadata start-up), several times the
/// daemon's whole answer; this codec needs no metadata. The daemon, which lives long, keeps the generated context.
/// A contract test round-trips every message through both.
/// </remarks>
public static class ClientFrameJson
{
    /// <summary>
    /// Encodes a spool record that the daemon's generated context reads back identically: the same members in the same
    /// order and format; the same bytes unless a string needs escaping (the context escapes more, e.g. HTML characters).
    /// </summary>
    public static byte[] Encode(SpooledRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, MinimalJsonEncoder.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("v", release.Version);
            Attachment(w, release.ContainerId, release.IfName, release.Network);
            w.WriteString("spooledAt", release.SpooledAt);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Encodes a request as the daemon's generated context would.</summary>
    public static byte[] Encode(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, MinimalJsonEncoder.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("op", Operation(request));
            w.WriteNumber("v", request.Version);
            w.WriteString("id", request.Id);
            switch (request)
            {
                case AllocateRequest r:
                    Attachment(w, r.ContainerId, r.IfName, r.Network);
                    Optional(w, "netns", r.Netns);
                    if (r.Pod is { } pod)
                    {
                        w.WriteStartObject("pod");
                        w.WriteString("namespace", pod.Namespace);
                        w.WriteString("name", pod.Name);
                        Optional(w, "uid", pod.Uid);
                        if (pod.Local)
                        {
                            w.WriteBoolean("local", true);
                        }

                        w.WriteEndObject();
                    }

                    Strings(w, "subnets", r.Subnets);
                    Strings(w, "requestedIps", r.RequestedIps);
                    Optional(w, "requestedFrom", r.RequestedFrom);
                    Optional(w, "requestedMac", r.RequestedMac);
                    w.WriteBoolean("podAnnotationsPassed", r.PodAnnotationsPassed);
                    break;
                case CommitRequest r:
                    Attachment(w, r.ContainerId, r.IfName, r.Network);
                    Optional(w, "hostVeth", r.HostVeth);
                    Optional(w, "mac", r.Mac);
                    if (r.Host is { } host)
                    {
                        w.WriteStartObject("host");
                        w.WriteString("bridge", host.Bridge);
                        w.WriteBoolean("isGateway", host.IsGateway);
                        w.WriteNumber("mtu", host.Mtu);
                        w.WriteBoolean("ipMasq", host.IpMasq);
                        Strings(w, "masqueradeSubnets", host.MasqueradeSubnets);
                        w.WriteEndObject();
                    }

                    break;
                case ReleaseRequest r:
                    Attachment(w, r.ContainerId, r.IfName, r.Network);
                    w.WriteBoolean("rollback", r.Rollback);
                    break;
                case CheckRequest r:
                    Attachment(w, r.ContainerId, r.IfName, r.Network);
                    break;
                case StatusRequest r:
                    Strings(w, "subnets", r.Subnets);
                    if (r.Network is not null)
                    {
                        w.WriteString("network", r.Network);
                    }

                    break;
                case LedTestRequest r:
                    w.WriteString("name", r.Name);
                    w.WriteNumber("milliseconds", r.Milliseconds);
                    break;
                case GcRequest r:
                    w.WriteString("network", r.Network);
                    w.WriteStartArray("validAttachments");
                    foreach (var a in r.ValidAttachments)
                    {
                        w.WriteStartObject();
                        w.WriteString("containerId", a.ContainerId);
                        w.WriteString("ifName", a.IfName);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    break;
                default:
                    break;
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Decodes a response frame.</summary>
    /// <exception cref="InvalidDataException">Not a response frame this client knows.</exception>
    public static Response Decode(ReadOnlySpan<byte> frame)
    {
        try
        {
            var o = OwnedJson.Parse(frame);
            var kind = Str(o, "kind") ?? throw new InvalidDataException("response frame has no kind");
            Response response = kind switch
            {
                "error" => new ErrorResponse { Error = Enum.TryParse<ErrorKind>(Str(o, "error"), out var errorKind) ? errorKind : ErrorKind.Internal, Message = Str(o, "message") ?? "" },
                "allocated" => new AllocateResponse
                {
                    Existing = Bool(o, "existing"),
                    Mtu = o.TryGetProperty("mtu", out var mtu) && mtu.ValueKind == JsonValueKind.Number && mtu.TryGetInt32(out var m) ? m : null,
                    Addresses = Array(o, "addresses").Select(a => new AllocatedAddress { Address = Str(a, "address") ?? "", Gateway = Str(a, "gateway") ?? "", Pool = Str(a, "pool") ?? "" }).ToList(),
                },
                "committed" => new CommitResponse(),
                "released" => new ReleaseResponse { Released = Int(o, "released"), NetworkIdle = Bool(o, "networkIdle"), Deferred = Bool(o, "deferred") },
                "checked" => new CheckResponse { Active = Bool(o, "active"), Addresses = Array(o, "addresses").Select(a => a.GetString() ?? "").ToList() },
                "status" => new StatusResponse
                {
                    Ready = Bool(o, "ready"),
                    Reason = Str(o, "reason"),
                    DaemonVersion = Str(o, "daemonVersion") ?? "",
                    StartedAt = Time(o, "startedAt") ?? default,
                    StatePath = Str(o, "statePath") ?? "",
                    Pending = Int(o, "pending"),
                    Active = Int(o, "active"),
                    Held = Int(o, "held"),
                    Spooled = Int(o, "spooled"),
                    Outbox = Int(o, "outbox"),
                    PeersRouted = Int(o, "peersRouted"),
                    PeersNotRouted = Int(o, "peersNotRouted"),
                    Pools = Array(o, "pools").Select(p => new PoolUsage { Pool = Str(p, "pool") ?? "", Used = p.TryGetProperty("used", out var u) ? u.GetInt64() : 0, Capacity = Str(p, "capacity") ?? "" }).ToList(),
                    Health = o.TryGetProperty("health", out var h) && h.ValueKind == JsonValueKind.Object ? Health(h) : null,
                    Leds = Array(o, "leds").Select(l => new LedInfo { Name = Str(l, "name") ?? "", Role = Str(l, "role") ?? "", Backend = Str(l, "backend") ?? "", State = Str(l, "state") ?? "" }).ToList(),
                },
                "collected" => new GcResponse { Released = Int(o, "released") },
                "leases" => new LeasesResponse { Leases = Array(o, "leases").Select(Lease).ToList() },
                "ledTested" => new LedTestResponse { Name = Str(o, "name") ?? "" },
                "peers" => new PeersResponse
                {
                    Enabled = Bool(o, "enabled"),
                    Peers = Array(o, "peers").Select(p => new PeerInfo
                    {
                        Node = Str(p, "node") ?? "",
                        Pool = Str(p, "pool"),
                        PodCidrs = Array(p, "podCidrs").Select(c => c.GetString() ?? "").ToList(),
                        Addresses = Array(p, "addresses").Select(c => c.GetString() ?? "").ToList(),
                        Mode = Str(p, "mode") ?? "-",
                        State = Str(p, "state") ?? "",
                        Source = Str(p, "source") ?? "",
                        Since = Time(p, "since") ?? default,
                    }).ToList(),
                    LastSync = o.TryGetProperty("lastSync", out var ls) && ls.ValueKind == JsonValueKind.Object
                        ? new PeerSyncInfo
                        {
                            Why = Str(ls, "why") ?? "",
                            At = Time(ls, "at") ?? default,
                            Milliseconds = ls.TryGetProperty("milliseconds", out var ms) && ms.ValueKind == JsonValueKind.Number ? ms.GetDouble() : 0,
                            Changes = Int(ls, "changes"),
                            Count = Int(ls, "count"),
                            Error = Str(ls, "error"),
                        }
                        : null,
                },
                "reclaimed" => new ReclaimResponse
                {
                    PendingReclaimed = Int(o, "pendingReclaimed"),
                    HoldsExpired = Int(o, "holdsExpired"),
                    SpoolDrained = Int(o, "spoolDrained"),
                    HostRepairs = Array(o, "hostRepairs").Select(r => r.GetString() ?? "").ToList(),
                    Problem = Str(o, "problem"),
                },
                _ => throw new InvalidDataException($"unknown response kind \"{kind}\""),
            };
            return response with { Version = o.TryGetProperty("v", out var v) ? v.GetInt32() : 0, Id = Str(o, "id") ?? "" };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"malformed response frame: {ex.Message}", ex);
        }
    }

    private static string Operation(Request request) => request switch
    {
        AllocateRequest => "allocate",
        CommitRequest => "commit",
        ReleaseRequest => "release",
        CheckRequest => "check",
        StatusRequest => "status",
        GcRequest => "gc",
        LeasesRequest => "leases",
        ReclaimRequest => "reclaim",
        LedTestRequest => "ledTest",
        PeersRequest => "peers",
        _ => throw new ArgumentException($"no operation for {request.GetType().Name}", nameof(request)),
    };

    private static HealthInfo Health(JsonElement h) => new()
    {
        Uplink = Str(h, "uplink") ?? "",
        UplinkInterface = Str(h, "uplinkInterface"),
        Cloud = Str(h, "cloud") ?? "",
        CloudDetail = Str(h, "cloudDetail"),
        Cni = Str(h, "cni") ?? "",
        Store = Str(h, "store") ?? "",
        Liveness = Str(h, "liveness") ?? "",
        Alive = Bool(h, "alive"),
        RecentFailures = Int(h, "recentFailures"),
        LastFailure = Str(h, "lastFailure"),
        SystemdWatchdog = Str(h, "systemdWatchdog") ?? "",
        HardwareWatchdog = Str(h, "hardwareWatchdog") ?? "",
    };

    private static LeaseInfo Lease(JsonElement l) => new()
    {
        Ip = Str(l, "ip") ?? "",
        Pool = Str(l, "pool") ?? "",
        Network = Str(l, "network") ?? "",
        State = Str(l, "state") ?? "",
        ContainerId = Str(l, "containerId") ?? "",
        IfName = Str(l, "ifName") ?? "",
        Pod = Str(l, "pod"),
        PodUid = Str(l, "podUid"),
        Since = Time(l, "since") ?? default,
        HeldUntil = Time(l, "heldUntil"),
    };

    private static void Attachment(Utf8JsonWriter w, string containerId, string ifName, string network)
    {
        w.WriteString("containerId", containerId);
        w.WriteString("ifName", ifName);
        w.WriteString("network", network);
    }

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static string? Str(JsonElement o, string name) => o.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static bool Bool(JsonElement o, string name) => o.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.True;

    private static int Int(JsonElement o, string name) => o.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : 0;

    private static DateTimeOffset? Time(JsonElement o, string name) =>
        Str(o, name) is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;

    private static List<JsonElement> Array(JsonElement o, string name) =>
        o.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Array ? [.. e.EnumerateArray()] : [];
}
