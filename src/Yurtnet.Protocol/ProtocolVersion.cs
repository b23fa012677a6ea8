namespace Yurtnet.Protocol;

/// <summary>
/// Version of the frame contract between the <c>yurtnet</c> plugin, <c>yurtnetctl</c> and <c>yurtnetd</c>.
/// </summary>
/// <remarks>
/// <para>
/// Adding an optional member to a message does not change the version: both sides ignore members they do not
/// know. Renaming or removing a member, changing its meaning, or changing the framing does.
/// </para>
/// <para>
/// A package upgrade puts the new plugin next to the old daemon for the seconds between dpkg's unpack and the
/// daemon's restart, and a downgrade the other way round, so each side speaks the previous version too:
/// </para>
/// <list type="bullet">
/// <item>yurtnetd reads every version from <see cref="Oldest"/> to <see cref="Current"/> and answers in the
/// request's version; a frame of any other version gets <see cref="ErrorKind.UnsupportedVersion"/> in
/// <see cref="Current"/>, the newest version it speaks (yurtnet 0.1.0, which speaks only 1, does the same).</item>
/// <item>A client that gets <see cref="ErrorKind.UnsupportedVersion"/> in an older version it still speaks sends
/// the request once more in that version, and keeps it for the rest of the connection (<see cref="DaemonClient"/>).
/// It writes each message in the shape of the version it sends.</item>
/// </list>
/// <para>
/// Versions: 1 (yurtnet 0.1.0): the daemon accepts only 1. 2 (yurtnet 0.2.0): the rules above; the messages are
/// those of version 1. When a version changes a message's shape, <see cref="Oldest"/> stays one below
/// <see cref="Current"/> for one release, and both the daemon's reader and <see cref="ClientFrameJson"/> write
/// and read the older shape for frames of the older version.
/// </para>
/// </remarks>
public static class ProtocolVersion
{
    /// <summary>The newest version this build speaks; its requests are sent in it.</summary>
    public const int Current = 2;

    /// <summary>The oldest version this build still speaks: that of the previous release.</summary>
    public const int Oldest = 1;

    /// <summary>Whether this build reads and writes frames of <paramref name="version"/>.</summary>
    public static bool IsSpoken(int version) => version is >= Oldest and <= Current;
}
