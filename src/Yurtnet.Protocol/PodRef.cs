namespace Yurtnet.Protocol;

/// <summary>
/// The pod an attachment belongs to, as the runtime passed it in <c>CNI_ARGS</c>: a Kubernetes pod (kubelet through
/// containerd or CRI-O), or a local container or pod that only a name identifies (podman passes <c>K8S_POD_NAME</c>
/// alone), which the plugin places in its network's <c>localPodNamespace</c>.
/// </summary>
public sealed record PodRef
{
    /// <summary>Pod namespace (<c>K8S_POD_NAMESPACE</c>).</summary>
    public required string Namespace { get; init; }

    /// <summary>Pod name (<c>K8S_POD_NAME</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Pod UID (<c>K8S_POD_UID</c>), when the runtime passes it.</summary>
    public string? Uid { get; init; }

    /// <summary>
    /// Not a Kubernetes pod: the runtime named only the container. Its address is sticky like a pod's, but no pod watch,
    /// network-status annotation or cluster GC applies to it, and it never shares a sticky key with a Kubernetes pod.
    /// </summary>
    public bool Local { get; init; }

    /// <summary>The sticky key: <c>namespace/name</c>.</summary>
    public string Key => $"{Namespace}/{Name}";
}
