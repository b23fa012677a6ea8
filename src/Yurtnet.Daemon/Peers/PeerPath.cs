namespace Yurtnet.Daemon.Peers;

/// <summary>How one peer is reached: the mode chosen, the interface (host-gw), and what went wrong, if anything.</summary>
internal sealed record PeerPath(PeerMode Mode, int Interface = 0, string? Problem = null)
{
    /// <summary><c>hostgw</c> or <c>vxlan</c>, as <c>yurtnetctl peers</c> shows it.</summary>
    public string ModeName => Mode == PeerMode.HostGw ? "hostgw" : "vxlan";
}
