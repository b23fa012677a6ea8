namespace Yurtnet.Protocol;

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

    /// <summary>
    /// Addresses the pod asked for (annotation <c>yurtnet.openyurt.io/ip</c>, the <c>ips</c> capability, <c>CNI_ARGS</c>
    /// <c>IP</c>); empty for "any".
    /// </summary>
    public IReadOnlyList<string> RequestedIps { get => _requestedIps; init => _requestedIps = value ?? []; }

    // An absent member reads as empty: the source-generated reader sets every init-only member, null when absent.
    private readonly IReadOnlyList<string> _requestedIps = [];

    /// <summary>The MAC the runtime asked for the pod's interface (the <c>mac</c> capability, <c>CNI_ARGS</c> <c>MAC</c>), lower case with colons.</summary>
    public string? RequestedMac { get; init; }

    /// <summary>Where <see cref="RequestedIps"/> came from, for a refusal's message (e.g. <c>CNI_ARGS IP</c>); null: the pod annotation.</summary>
    public string? RequestedFrom { get; init; }

    /// <summary>
    /// Whether the runtime passed the pod's annotations. When it did not, the daemon takes the annotation (and a
    /// missing UID) from what its pod watch last saw, without asking the API.
    /// </summary>
    public bool PodAnnotationsPassed { get; init; }

    /// <inheritdoc/>
    public override string? SerializationKey => ContainerId;

    /// <inheritdoc/>
    public override string? NullMember() => FirstNull("subnets", Subnets) ?? FirstNull("requestedIps", RequestedIps);
}
