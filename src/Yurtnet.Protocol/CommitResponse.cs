namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="CommitRequest"/>.</summary>
public sealed record CommitResponse : Response;
