namespace Yurtnet.Protocol;

/// <summary><c>yurtnetctl leds test</c>: light one LED alone, steadily, for a while; answered when it is done.</summary>
public sealed record LedTestRequest : Request
{
    /// <summary>The LED's name.</summary>
    public required string Name { get; init; }

    /// <summary>How long to light it.</summary>
    public int Milliseconds { get; init; } = 1500;
}
