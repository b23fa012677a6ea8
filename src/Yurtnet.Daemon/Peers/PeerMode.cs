namespace Yurtnet.Daemon.Peers;

/// <summary>How traffic to a peer's pods travels.</summary>
internal enum PeerMode
{
    /// <summary>host-gw where the peer is on a directly connected subnet, else VXLAN.</summary>
    Auto,

    /// <summary>A route to the peer's pod CIDR via its underlay address (same L2 segment only).</summary>
    HostGw,

    /// <summary>Through yurtnet's VXLAN device, with static FDB and neighbour entries.</summary>
    Vxlan,
}
