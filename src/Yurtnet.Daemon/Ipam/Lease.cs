using System.Net;

namespace Yurtnet.Daemon.Ipam;

/// <summary>One address and who has it.</summary>
internal sealed record Lease
{
    public required IPAddress Ip { get; init; }

    /// <summary>The pool's CIDR, e.g. <c>10.22.0.0/16</c>.</summary>
    public required string Pool { get; init; }

    /// <summary>The CNI network name.</summary>
    public required string Network { get; init; }

    public required LeaseState State { get; init; }

    /// <summary>Owner attachment (the last one, for a held lease).</summary>
    public required string ContainerId { get; init; }

    public required string IfName { get; init; }

    public string? PodNamespace { get; init; }

    public string? PodName { get; init; }

    public string? PodUid { get; init; }

    /// <summary>
    /// Not a Kubernetes pod but a local container only a name identifies (podman): sticky like a pod, never matched with
    /// a Kubernetes pod's key, and outside the pod watch, the network-status outbox and cluster GC.
    /// </summary>
    public bool PodLocal { get; init; }

    public string? Netns { get; init; }

    /// <summary>MAC address of the pod interface, recorded when the attachment is committed.</summary>
    public string? Mac { get; init; }

    /// <summary>When the lease entered its current state.</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>For a held lease: until when it is reserved for its pod.</summary>
    public DateTimeOffset? HeldUntil { get; init; }

    /// <summary>The kernel boot the lease was last allocated or committed in; an attachment from another boot cannot be live.</summary>
    public required string BootId { get; init; }

    /// <summary>The sticky key <c>namespace/name</c>, or null when the runtime did not name the pod (with <see cref="PodLocal"/>, a local container's).</summary>
    public string? PodKey => PodNamespace is null || PodName is null ? null : $"{PodNamespace}/{PodName}";

    /// <summary>The key of a Kubernetes pod: what the pod watch, the outbox and cluster GC know; null for a local container.</summary>
    public string? KubernetesPodKey => PodLocal ? null : PodKey;

    /// <summary>
    /// A reservation for a pod known only by its host veth (a store rebuilt after damage without the runtime's cache
    /// entry): its network is unknown, and it is freed when the veth is gone or taken over by its attachment's ADD.
    /// </summary>
    public bool OnlyHostVeth => ContainerId.StartsWith(FoundAttachment.HostVethPrefix, StringComparison.Ordinal);

    /// <summary>Whether this lease belongs to the same pod as <paramref name="request"/> (same key, same kind).</summary>
    public bool SamePod(AllocationRequest request) => PodKey is not null && PodKey == request.PodKey && PodLocal == request.PodLocal;
}
