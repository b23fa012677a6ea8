namespace Yurtnet.Protocol;

/// <summary><c>yurtnetctl leases</c>.</summary>
public sealed record LeasesRequest : Request;
