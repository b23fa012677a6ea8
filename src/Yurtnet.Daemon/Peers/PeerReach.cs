namespace Yurtnet.Daemon.Peers;

/// <summary>What the kernel's route lookup says of a peer's underlay address: on a directly connected subnet (and out of which interface), or behind a router.</summary>
internal sealed record PeerReach(bool DirectlyConnected, int Interface);
