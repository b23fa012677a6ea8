namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="ReleaseRequest"/>.</summary>
public sealed record ReleaseResponse : Response
{
    /// <summary>How many leases were released (0 for a repeated DEL).</summary>
    public int Released { get; init; }

    /// <summary>True when the network has no lease left, so its masquerade rules can go.</summary>
    public bool NetworkIdle { get; init; }
}
