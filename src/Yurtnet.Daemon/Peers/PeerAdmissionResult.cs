namespace Yurtnet.Daemon.Peers;

/// <summary>The peers to route to, and the refused ones with why.</summary>
internal sealed record PeerAdmissionResult(IReadOnlyList<Peer> Accepted, IReadOnlyList<(Peer Peer, string Reason)> Refused);
