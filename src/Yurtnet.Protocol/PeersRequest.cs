namespace Yurtnet.Protocol;

/// <summary>Asks for the peer table of the NodePool network (<c>yurtnetctl peers</c>).</summary>
public sealed record PeersRequest : Request;
