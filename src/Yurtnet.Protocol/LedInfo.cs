namespace Yurtnet.Protocol;

/// <summary>A configured status LED and what it shows now.</summary>
public sealed record LedInfo
{
    /// <summary>The LED's name from yurtnetd.json.</summary>
    public required string Name { get; init; }

    /// <summary>power, uplink, cloud, activity or fault.</summary>
    public required string Role { get; init; }

    /// <summary>gpio or none.</summary>
    public required string Backend { get; init; }

    /// <summary>The pattern it shows (on, off, slow blink, fast blink, flash), or why it is not available.</summary>
    public required string State { get; init; }
}
