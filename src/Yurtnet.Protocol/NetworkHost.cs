namespace Yurtnet.Protocol;

/// <summary>
/// What a network shares with the host, as the plugin set it up from its conflist: sent with each commit so that
/// yurtnetd can put it back when another program removes it (a bridge deleted, its addresses flushed, forwarding
/// turned off, the masquerade chain gone with <c>nft flush ruleset</c>), and remove the chain when the network's last
/// lease goes by any path.
/// </summary>
public sealed record NetworkHost
{
    /// <summary>The bridge the pods' host veths are attached to.</summary>
    public required string Bridge { get; init; }

    /// <summary>Whether the bridge carries each pool's gateway address (and forwarding is on).</summary>
    public bool IsGateway { get; init; }

    /// <summary>The MTU the bridge is made with when it has to be made again (it then takes its ports' lowest).</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>Whether the network's traffic leaving its subnets is masqueraded.</summary>
    public bool IpMasq { get; init; }

    /// <summary>The subnets the masquerade chain has rules for, e.g. <c>10.22.0.0/16</c>.</summary>
    public List<string> MasqueradeSubnets { get => _masqueradeSubnets; init => _masqueradeSubnets = value ?? []; }

    // An absent member reads as empty: the source-generated reader sets every init-only member, null when absent.
    private readonly List<string> _masqueradeSubnets = [];
}
