namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="AllocateRequest"/>.</summary>
public sealed record AllocateResponse : Response
{
    /// <summary>One address per address family.</summary>
    public required IReadOnlyList<AllocatedAddress> Addresses { get; init; }

    /// <summary>True when the attachment already had these addresses (a repeated ADD).</summary>
    public bool Existing { get; init; }
}
