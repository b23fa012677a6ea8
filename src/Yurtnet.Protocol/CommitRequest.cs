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

    /// <summary>What the network shares with the host, for yurtnetd's repair; absent from plugins of 0.1.0 builds before this member existed.</summary>
    public NetworkHost? Host { get; init; }

    /// <inheritdoc/>
    public override string? SerializationKey => ContainerId;

    /// <inheritdoc/>
    public override string? NullMember() => Host is null ? null : FirstNull("host.masqueradeSubnets", Host.MasqueradeSubnets);
}
