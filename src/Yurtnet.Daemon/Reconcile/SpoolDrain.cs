using System.Text.Json;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.State;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Reconcile;

/// <summary>
/// Applies the releases the plugin spooled while the daemon was unreachable. A file is deleted only after its
/// release is durable in the store, so a crash in between applies it again, which is harmless (release is
/// idempotent). A file that cannot be read or makes no sense is set aside (<c>.unreadable</c>) with the reason in the
/// log, and the drain goes on with the next; a store that cannot be written stops the drain with every remaining
/// file kept for the next pass.
/// </summary>
internal sealed partial class SpoolDrain(LeaseKeeper keeper, ReconcileOptions options, TimeProvider time, ILogger<SpoolDrain> logger) : IDisposable
{
    /// <summary>Suffix of a file set aside; never drained again.</summary>
    public const string SetAsideSuffix = ".unreadable";

    /// <summary>A writer's temporary file older than this was left by a plugin that died mid-write: its DEL failed and is retried.</summary>
    internal static readonly TimeSpan AbandonedWriteAge = TimeSpan.FromMinutes(10);

    private readonly SemaphoreSlim _draining = new(1, 1);

    public int PendingCount() => SpoolFiles().Count;

    /// <summary>Applies every spooled release; returns how many.</summary>
    public async Task<int> DrainAsync(CancellationToken cancellationToken)
    {
        RemoveStaleRemovalMarker();
        if (!Directory.Exists(options.SpoolDir))
        {
            return 0;
        }

        await _draining.WaitAsync(cancellationToken);
        try
        {
            RemoveAbandonedWrites();
            var applied = 0;
            foreach (var file in SpoolFiles())
            {
                if (Read(file) is not { } release)
                {
                    continue;
                }

                var outcome = await keeper.ReleaseAsync(release.ContainerId, release.IfName, release.Network, rollback: false, cancellationToken);
                if (outcome.Deferred)
                {
                    // The store cannot take it now: the file stays, the durable record of this release.
                    break;
                }

                File.Delete(file);
                applied++;
                LogApplied(logger, release.ContainerId, release.IfName, release.Network, outcome.Released, release.SpooledAt);
            }

            return applied;
        }
        finally
        {
            _draining.Release();
        }
    }

    public void Dispose() => _draining.Dispose();

    private List<string> SpoolFiles() => Directory.Exists(options.SpoolDir)
        ? Directory.EnumerateFiles(options.SpoolDir).Where(f => SpooledRelease.IsSpoolFile(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList()
        : [];

    /// <summary>The release in <paramref name="file"/>, or null when it was set aside (or vanished meanwhile).</summary>
    private SpooledRelease? Read(string file)
    {
        string problem;
        try
        {
            var release = JsonSerializer.Deserialize(File.ReadAllBytes(file), ProtocolJsonContext.Default.SpooledRelease);
            if (release is { ContainerId.Length: > 0, IfName.Length: > 0, Network.Length: > 0 })
            {
                return release;
            }

            problem = "it names no container, interface or network";
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            problem = ex.Message;
        }

        SetAside(file, problem);
        return null;
    }

    private void SetAside(string file, string problem)
    {
        try
        {
            File.Move(file, file + SetAsideSuffix, overwrite: true);
            LogSetAside(logger, file, SetAsideSuffix, problem);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogNotSetAside(logger, file, problem, ex.Message);
        }
    }

    /// <summary>A running yurtnetd means the package is installed: a removal mark is left from an interrupted removal.</summary>
    private void RemoveStaleRemovalMarker()
    {
        if (SpooledRelease.PackageRemovedMarker(options.SpoolDir) is { } marker && File.Exists(marker))
        {
            try
            {
                File.Delete(marker);
                LogStaleRemovalMarker(logger, marker);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogNotSetAside(logger, marker, "a stale removal mark", ex.Message);
            }
        }
    }

    private void RemoveAbandonedWrites()
    {
        foreach (var file in Directory.EnumerateFiles(options.SpoolDir, "*" + SpooledRelease.TempSuffix))
        {
            try
            {
                if (time.GetUtcNow() - File.GetLastWriteTimeUtc(file) > AbandonedWriteAge)
                {
                    File.Delete(file);
                    LogAbandonedWrite(logger, file);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogNotSetAside(logger, file, "an abandoned write", ex.Message);
            }
        }
    }
}
