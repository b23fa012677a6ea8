namespace Yurtnet.Protocol;

/// <summary>
/// A DEL the plugin could not deliver because yurtnetd was unreachable. The plugin writes it durably into the
/// spool directory and reports success; the daemon applies it before it serves anything else.
/// </summary>
public sealed record SpooledRelease
{
    /// <summary>
    /// The spool record's own format, independent of the wire version: a daemon of the previous release drains
    /// what a newer plugin spooled while it was down (a downgrade), so it changes only in ways both read.
    /// </summary>
    public const int CurrentFormat = 1;

    /// <summary>Format of the writer (<see cref="CurrentFormat"/>).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("v")]
    public int Version { get; init; } = CurrentFormat;

    /// <summary><c>CNI_CONTAINERID</c>.</summary>
    public required string ContainerId { get; init; }

    /// <summary><c>CNI_IFNAME</c>.</summary>
    public required string IfName { get; init; }

    /// <summary>CNI network name.</summary>
    public required string Network { get; init; }

    /// <summary>When the plugin spooled it.</summary>
    public required DateTimeOffset SpooledAt { get; init; }

    /// <summary>
    /// The package's mark, next to the spool directory, that it was removed but not purged (written by its prerm after
    /// the daemon stopped): the plugin's ADD, CHECK, GC and STATUS name the removal instead of waiting for a daemon,
    /// and a yurtnetd that runs takes it away (it is stale then: an interrupted removal, a reinstall).
    /// </summary>
    public static string? PackageRemovedMarker(string spoolDir) =>
        Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(spoolDir)) is { Length: > 0 } stateDir ? Path.Combine(stateDir, "package-removed") : null;

    /// <summary>Suffix of complete spool files; anything else in the directory is a write in progress or foreign.</summary>
    public const string FileSuffix = ".release.json";

    /// <summary>Suffix of a spool file being written: never taken for a complete one (it does not end in <see cref="FileSuffix"/>).</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>Whether a directory entry is a complete spool file: ends in <see cref="FileSuffix"/> and is not hidden.</summary>
    public static bool IsSpoolFile(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return fileName.EndsWith(FileSuffix, StringComparison.Ordinal) && !fileName.StartsWith('.');
    }

    /// <summary>The temporary name a writer uses for <paramref name="fileName"/> before renaming it into place.</summary>
    public static string TempFileNameFor(string fileName, int processId) => $".{fileName}.{processId}{TempSuffix}";

    /// <summary>
    /// The spool file name of an attachment. It is derived from the attachment alone, so repeated DELs of the
    /// same attachment overwrite one file instead of piling up.
    /// </summary>
    public static string FileNameFor(string containerId, string ifName)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        ArgumentException.ThrowIfNullOrEmpty(ifName);
        // Container ids match [a-zA-Z0-9][a-zA-Z0-9_.-]* and interface names contain no '/', so the name is a
        // plain file name; only its length needs a bound.
        var stem = $"{containerId}_{ifName}";
        if (stem.Length > 200)
        {
            stem = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(stem)));
        }

        return stem + FileSuffix;
    }
}
