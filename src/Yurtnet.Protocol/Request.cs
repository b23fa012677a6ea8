using System.Text.Json.Serialization;

namespace Yurtnet.Protocol;

/// <summary>A request frame. The <c>op</c> member names the operation; <c>v</c> and <c>id</c> are in every frame.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(AllocateRequest), "allocate")]
[JsonDerivedType(typeof(CommitRequest), "commit")]
[JsonDerivedType(typeof(ReleaseRequest), "release")]
[JsonDerivedType(typeof(CheckRequest), "check")]
[JsonDerivedType(typeof(StatusRequest), "status")]
[JsonDerivedType(typeof(GcRequest), "gc")]
[JsonDerivedType(typeof(LeasesRequest), "leases")]
[JsonDerivedType(typeof(ReclaimRequest), "reclaim")]
[JsonDerivedType(typeof(LedTestRequest), "ledTest")]
public abstract record Request
{
    /// <summary>Protocol version of the sender (<see cref="ProtocolVersion.Current"/>).</summary>
    [JsonPropertyName("v")]
    public int Version { get; init; } = ProtocolVersion.Current;

    /// <summary>Request id chosen by the client, echoed in the response and in the daemon's logs.</summary>
    public string Id { get; init; } = "";

    /// <summary>The container this request is about, used to serialize requests per container; null for none.</summary>
    [JsonIgnore]
    public virtual string? SerializationKey => null;
}

/// <summary>ADD, step 1: reserve addresses for an attachment. The lease is <c>pending</c> until <see cref="CommitRequest"/>.</summary>
public sealed record AllocateRequest : Request
{
    /// <summary><c>CNI_CONTAINERID</c>.</summary>
    public required string ContainerId { get; init; }

    /// <summary><c>CNI_IFNAME</c>.</summary>
    public required string IfName { get; init; }

    /// <summary>CNI network name (the conflist's <c>name</c>).</summary>
    public required string Network { get; init; }

    /// <summary><c>CNI_NETNS</c>.</summary>
    public string? Netns { get; init; }

    /// <summary>The pod, when the runtime told us.</summary>
    public PodRef? Pod { get; init; }

    /// <summary>The pools (<c>ipam.subnets</c>), in order; one address per address family is allocated.</summary>
    public required IReadOnlyList<string> Subnets { get; init; }

    /// <summary>Addresses the pod asked for (annotation <c>yurtnet.openyurt.io/ip</c>); empty for "any".</summary>
    public IReadOnlyList<string> RequestedIps { get; init; } = [];

    /// <summary>
    /// Whether the runtime passed the pod's annotations. When it did not, the daemon takes the annotation (and a
    /// missing UID) from what its pod watch last saw, without asking the API.
    /// </summary>
    public bool PodAnnotationsPassed { get; init; }

    /// <inheritdoc/>
    public override string? SerializationKey => ContainerId;
}

/// <summary>ADD, step 2: the netns is plumbed; make the pending lease active.</summary>
public sealed record CommitRequest : Request
{
    /// <summary><c>CNI_CONTAINERID</c>.</summary>
    public required string ContainerId { get; init; }

    /// <summary><c>CNI_IFNAME</c>.</summary>
    public required string IfName { get; init; }

    /// <summary>CNI network name.</summary>
    public required string Network { get; init; }

    /// <summary>The host side of the veth pair.</summary>
    public string? HostVeth { get; init; }

    /// <summary>MAC address of the pod interface.</summary>
    public string? Mac { get; init; }

    /// <inheritdoc/>
    public override string? SerializationKey => ContainerId;
}

/// <summary>DEL, or an ADD rolled back: release every lease of the attachment.</summary>
public sealed record ReleaseRequest : Request
{
    /// <summary><c>CNI_CONTAINERID</c>.</summary>
    public required string ContainerId { get; init; }

    /// <summary><c>CNI_IFNAME</c>.</summary>
    public required string IfName { get; init; }

    /// <summary>CNI network name.</summary>
    public required string Network { get; init; }

    /// <summary>True when an ADD is rolled back: the address was never used, so it is freed instead of held.</summary>
    public bool Rollback { get; init; }

    /// <inheritdoc/>
    public override string? SerializationKey => ContainerId;
}

/// <summary>CHECK: is the attachment's lease active?</summary>
public sealed record CheckRequest : Request
{
    /// <summary><c>CNI_CONTAINERID</c>.</summary>
    public required string ContainerId { get; init; }

    /// <summary><c>CNI_IFNAME</c>.</summary>
    public required string IfName { get; init; }

    /// <summary>CNI network name.</summary>
    public required string Network { get; init; }

    /// <inheritdoc/>
    public override string? SerializationKey => ContainerId;
}

/// <summary>STATUS (and <c>yurtnetctl status</c>): can the daemon serve ADD?</summary>
public sealed record StatusRequest : Request
{
    /// <summary>The pools an ADD on this network would use; empty when asked by the operator.</summary>
    public IReadOnlyList<string> Subnets { get; init; } = [];

    /// <summary>The network the plugin asks for (null from the operator): without subnets it needs the node's podCIDRs.</summary>
    public string? Network { get; init; }
}

/// <summary>GC: release every lease of the network whose attachment is not listed.</summary>
public sealed record GcRequest : Request
{
    /// <summary>CNI network name.</summary>
    public required string Network { get; init; }

    /// <summary><c>cni.dev/valid-attachments</c>.</summary>
    public required IReadOnlyList<AttachmentRef> ValidAttachments { get; init; }
}

/// <summary><c>yurtnetctl leases</c>.</summary>
public sealed record LeasesRequest : Request;

/// <summary><c>yurtnetctl gc</c>: run the daemon's own reconciliation now.</summary>
public sealed record ReclaimRequest : Request;

/// <summary><c>yurtnetctl leds test</c>: light one LED alone, steadily, for a while; answered when it is done.</summary>
public sealed record LedTestRequest : Request
{
    /// <summary>The LED's name.</summary>
    public required string Name { get; init; }

    /// <summary>How long to light it.</summary>
    public int Milliseconds { get; init; } = 1500;
}
