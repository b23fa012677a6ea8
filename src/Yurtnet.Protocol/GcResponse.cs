namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="GcRequest"/>.</summary>
public sealed record GcResponse : Response
{
    /// <summary>Leases released.</summary>
    public required int Released { get; init; }
}
