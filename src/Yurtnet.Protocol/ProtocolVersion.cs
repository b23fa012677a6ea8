namespace Yurtnet.Protocol;

/// <summary>
/// Version of the frame contract between the <c>yurtnet</c> plugin, <c>yurtnetctl</c> and <c>yurtnetd</c>.
/// </summary>
/// <remarks>
/// Adding an optional member to a message does not change the version: both sides ignore members they do not
/// know. Renaming or removing a member, changing its meaning, or changing the framing does, and the daemon
/// answers a frame of another version with <see cref="ErrorKind.UnsupportedVersion"/> instead of guessing.
/// </remarks>
public static class ProtocolVersion
{
    /// <summary>The version this build speaks.</summary>
    public const int Current = 1;
}
