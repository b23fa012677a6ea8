namespace Yurtnet.Protocol;

/// <summary>An address given to an attachment.</summary>
public sealed record AllocatedAddress
{
    /// <summary>The address with the pool's prefix length, e.g. <c>10.22.0.5/16</c>.</summary>
    public required string Address { get; init; }

    /// <summary>The pool's gateway (the bridge's address), e.g. <c>10.22.0.1</c>.</summary>
    public required string Gateway { get; init; }

    /// <summary>The pool, e.g. <c>10.22.0.0/16</c>.</summary>
    public required string Pool { get; init; }
}
