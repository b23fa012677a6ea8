namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="LedTestRequest"/>, sent after the LED was lit.</summary>
public sealed record LedTestResponse : Response
{
    /// <summary>The LED lit.</summary>
    public required string Name { get; init; }
}
