namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="CheckRequest"/>.</summary>
public sealed record CheckResponse : Response
{
    /// <summary>True when every lease of the attachment is active.</summary>
    public required bool Active { get; init; }

    /// <summary>The attachment's addresses, with prefix.</summary>
    public IReadOnlyList<string> Addresses { get => _addresses; init => _addresses = value ?? []; }

    // An absent member reads as empty: the source-generated reader sets every init-only member, null when absent.
    private readonly IReadOnlyList<string> _addresses = [];
}
