namespace Yurtnet.Protocol;

/// <summary>The Kubernetes pod an attachment belongs to, as the runtime passed it in <c>CNI_ARGS</c>.</summary>
public sealed record PodRef
{
    /// <summary>Pod namespace (<c>K8S_POD_NAMESPACE</c>).</summary>
    public required string Namespace { get; init; }

    /// <summary>Pod name (<c>K8S_POD_NAME</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Pod UID (<c>K8S_POD_UID</c>), when the runtime passes it.</summary>
    public string? Uid { get; init; }

    /// <summary>The sticky key: <c>namespace/name</c>.</summary>
    public string Key => $"{Namespace}/{Name}";
}
