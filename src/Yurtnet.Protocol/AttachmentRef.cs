namespace Yurtnet.Protocol;

/// <summary>One attachment as the CNI spec names it: a container id and an interface name.</summary>
public sealed record AttachmentRef
{
    /// <summary><c>CNI_CONTAINERID</c>.</summary>
    public required string ContainerId { get; init; }

    /// <summary><c>CNI_IFNAME</c>.</summary>
    public required string IfName { get; init; }
}
