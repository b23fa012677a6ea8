namespace Yurtnet.Protocol;

/// <summary><c>yurtnetctl gc</c>: run the daemon's own reconciliation now.</summary>
public sealed record ReclaimRequest : Request;
