namespace Yurtnet.Protocol;

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
