namespace Yurtnet.Protocol;

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
