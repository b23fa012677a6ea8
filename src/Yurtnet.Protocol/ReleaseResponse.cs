namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="ReleaseRequest"/>.</summary>
public sealed record ReleaseResponse : Response
{
    /// <summary>How many leases were released (0 for a repeated DEL).</summary>
    public int Released { get; init; }

    /// <summary>True when the network has no lease left, so its masquerade rules can go.</summary>
    public bool NetworkIdle { get; init; }

    /// <summary>
    /// True when yurtnetd could not write the release (its disk is full or failing) and keeps it in memory until it
    /// can: the DEL succeeds, and the plugin says so in its log.
    /// </summary>
    public bool Deferred { get; init; }
}
