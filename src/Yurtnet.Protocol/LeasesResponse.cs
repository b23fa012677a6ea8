namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="LeasesRequest"/>.</summary>
public sealed record LeasesResponse : Response
{
    /// <summary>All leases.</summary>
    public required IReadOnlyList<LeaseInfo> Leases { get; init; }
}
