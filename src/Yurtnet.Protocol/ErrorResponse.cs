namespace Yurtnet.Protocol;

/// <summary>A failed request.</summary>
public sealed record ErrorResponse : Response
{
    /// <summary>The failure class.</summary>
    public required ErrorKind Error { get; init; }

    /// <summary>What went wrong and what to do about it.</summary>
    public required string Message { get; init; }
}
