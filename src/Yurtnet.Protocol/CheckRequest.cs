namespace Yurtnet.Protocol;

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
