using System.Text.Json.Serialization;

namespace Yurtnet.Protocol;

/// <summary>A response frame; <c>kind</c> names its shape. Failures are <see cref="ErrorResponse"/> frames, not dropped connections.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(ErrorResponse), "error")]
[JsonDerivedType(typeof(AllocateResponse), "allocated")]
[JsonDerivedType(typeof(CommitResponse), "committed")]
[JsonDerivedType(typeof(ReleaseResponse), "released")]
[JsonDerivedType(typeof(CheckResponse), "checked")]
[JsonDerivedType(typeof(StatusResponse), "status")]
[JsonDerivedType(typeof(GcResponse), "collected")]
[JsonDerivedType(typeof(LeasesResponse), "leases")]
[JsonDerivedType(typeof(ReclaimResponse), "reclaimed")]
[JsonDerivedType(typeof(LedTestResponse), "ledTested")]
public abstract record Response
{
    /// <summary>Protocol version of the daemon.</summary>
    [JsonPropertyName("v")]
    public int Version { get; init; } = ProtocolVersion.Current;

    /// <summary>The request's id.</summary>
    public string Id { get; init; } = "";
}

/// <summary>Why a request failed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ErrorKind>))]
public enum ErrorKind
{
    /// <summary>Unexpected failure in the daemon; details are in its log.</summary>
    Internal,

    /// <summary>The frame's protocol version is not spoken by this daemon.</summary>
    UnsupportedVersion,

    /// <summary>The frame could not be parsed, or a member is invalid.</summary>
    InvalidRequest,

    /// <summary>The peer is not allowed to use the socket.</summary>
    PermissionDenied,

    /// <summary>Transient: the daemon is busy or not ready; try again.</summary>
    TryAgainLater,

    /// <summary>No address is free in a pool.</summary>
    PoolExhausted,

    /// <summary>No lease is known for the attachment.</summary>
    LeaseUnknown,
}

/// <summary>A failed request.</summary>
public sealed record ErrorResponse : Response
{
    /// <summary>The failure class.</summary>
    public required ErrorKind Error { get; init; }

    /// <summary>What went wrong and what to do about it.</summary>
    public required string Message { get; init; }
}

/// <summary>Answer to <see cref="AllocateRequest"/>.</summary>
public sealed record AllocateResponse : Response
{
    /// <summary>One address per address family.</summary>
    public required IReadOnlyList<AllocatedAddress> Addresses { get; init; }

    /// <summary>True when the attachment already had these addresses (a repeated ADD).</summary>
    public bool Existing { get; init; }
}

/// <summary>Answer to <see cref="CommitRequest"/>.</summary>
public sealed record CommitResponse : Response;

/// <summary>Answer to <see cref="ReleaseRequest"/>.</summary>
public sealed record ReleaseResponse : Response
{
    /// <summary>How many leases were released (0 for a repeated DEL).</summary>
    public int Released { get; init; }

    /// <summary>True when the network has no lease left, so its masquerade rules can go.</summary>
    public bool NetworkIdle { get; init; }
}

/// <summary>Answer to <see cref="CheckRequest"/>.</summary>
public sealed record CheckResponse : Response
{
    /// <summary>True when every lease of the attachment is active.</summary>
    public required bool Active { get; init; }

    /// <summary>The attachment's addresses, with prefix.</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];
}

/// <summary>Answer to <see cref="StatusRequest"/>.</summary>
public sealed record StatusResponse : Response
{
    /// <summary>True when an ADD can be served.</summary>
    public required bool Ready { get; init; }

    /// <summary>Why not, when not ready.</summary>
    public string? Reason { get; init; }

    /// <summary>Daemon version.</summary>
    public string DaemonVersion { get; init; } = "";

    /// <summary>When the daemon started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Path of the state database.</summary>
    public string StatePath { get; init; } = "";

    /// <summary>Lease counts by state.</summary>
    public int Pending { get; init; }

    /// <summary>Active leases.</summary>
    public int Active { get; init; }

    /// <summary>Held leases.</summary>
    public int Held { get; init; }

    /// <summary>Releases waiting in the spool.</summary>
    public int Spooled { get; init; }

    /// <summary>Pod network-status annotations waiting to reach the cluster (0 standalone).</summary>
    public int Outbox { get; init; }

    /// <summary>Per-pool usage.</summary>
    public IReadOnlyList<PoolUsage> Pools { get; init; } = [];

    /// <summary>Health inputs (absent from daemons that predate them).</summary>
    public HealthInfo? Health { get; init; }

    /// <summary>The configured status LEDs.</summary>
    public IReadOnlyList<LedInfo> Leds { get; init; } = [];
}

/// <summary>Usage of one pool.</summary>
public sealed record PoolUsage
{
    /// <summary>The pool CIDR.</summary>
    public required string Pool { get; init; }

    /// <summary>Addresses in leases (any state).</summary>
    public required long Used { get; init; }

    /// <summary>Addresses that can be allocated (capped for huge IPv6 pools).</summary>
    public required string Capacity { get; init; }
}

/// <summary>Answer to <see cref="GcRequest"/>.</summary>
public sealed record GcResponse : Response
{
    /// <summary>Leases released.</summary>
    public required int Released { get; init; }
}

/// <summary>Answer to <see cref="LeasesRequest"/>.</summary>
public sealed record LeasesResponse : Response
{
    /// <summary>All leases.</summary>
    public required IReadOnlyList<LeaseInfo> Leases { get; init; }
}

/// <summary>Answer to <see cref="ReclaimRequest"/>.</summary>
public sealed record ReclaimResponse : Response
{
    /// <summary>Pending leases never committed, freed.</summary>
    public required int PendingReclaimed { get; init; }

    /// <summary>Held leases whose hold expired, freed.</summary>
    public required int HoldsExpired { get; init; }

    /// <summary>Spooled releases applied.</summary>
    public required int SpoolDrained { get; init; }
}

/// <summary>Answer to <see cref="LedTestRequest"/>, sent after the LED was lit.</summary>
public sealed record LedTestResponse : Response
{
    /// <summary>The LED lit.</summary>
    public required string Name { get; init; }
}
