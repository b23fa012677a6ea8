using System.Net;

namespace Yurtnet.Daemon.Ipam;

/// <summary>What an ADD asks of IPAM.</summary>
internal sealed record AllocationRequest
{
    public required string ContainerId { get; init; }
    public required string IfName { get; init; }
    public required string Network { get; init; }
    public string? Netns { get; init; }
    public string? PodNamespace { get; init; }
    public string? PodName { get; init; }
    public string? PodUid { get; init; }

    /// <summary>The pod is a local container only a name identifies (<see cref="Yurtnet.Protocol.PodRef.Local"/>).</summary>
    public bool PodLocal { get; init; }

    /// <summary>The MAC the runtime asked for; refused while another attachment of the network has it.</summary>
    public string? RequestedMac { get; init; }

    /// <summary>Pools in order; one address per address family is allocated, later pools of a family are overflow.</summary>
    public required IReadOnlyList<Pool> Pools { get; init; }

    /// <summary>Addresses the pod asked for (annotation <c>yurtnet.openyurt.io/ip</c>), at most one per family.</summary>
    public IReadOnlyList<IPAddress> RequestedIps { get; init; } = [];

    public string? PodKey => PodNamespace is null || PodName is null ? null : $"{PodNamespace}/{PodName}";
}
