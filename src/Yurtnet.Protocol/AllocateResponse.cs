namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="AllocateRequest"/>.</summary>
public sealed record AllocateResponse : Response
{
    /// <summary>One address per address family.</summary>
    public required IReadOnlyList<AllocatedAddress> Addresses { get; init; }

    /// <summary>True when the attachment already had these addresses (a repeated ADD).</summary>
    public bool Existing { get; init; }

    /// <summary>
    /// The MTU the pod's interface should have when the conflist sets none: the NodePool tunnel's MTU while peers are
    /// reached through it (the uplink's less the encapsulation) and the pod is in this gateway's pod CIDRs; null when
    /// nothing needs less than the default 1500.
    /// </summary>
    public int? Mtu { get; init; }
}
