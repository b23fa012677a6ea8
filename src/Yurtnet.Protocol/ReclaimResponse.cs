namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="ReclaimRequest"/>.</summary>
public sealed record ReclaimResponse : Response
{
    /// <summary>Pending leases never committed, freed.</summary>
    public required int PendingReclaimed { get; init; }

    /// <summary>Held leases whose hold expired, freed.</summary>
    public required int HoldsExpired { get; init; }

    /// <summary>Spooled releases applied.</summary>
    public required int SpoolDrained { get; init; }

    /// <summary>Host state put back or removed (a bridge made again, a masquerade chain installed or removed), for the operator.</summary>
    public List<string> HostRepairs { get => _hostRepairs; init => _hostRepairs = value ?? []; }

    // An absent member reads as empty: the source-generated reader sets every init-only member, null when absent.
    private readonly List<string> _hostRepairs = [];

    /// <summary>Why the spool or the releases could not be applied now (a store that refuses writes), or null.</summary>
    public string? Problem { get; init; }
}
