using System.Text.Json;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.State;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Reconcile;

/// <summary>
/// Applies the releases the plugin spooled while the daemon was unreachable. A file is deleted only after its
/// release is durable in the store, so a crash in between applies it again, which is harmless (release is
/// idempotent).
/// </summary>
internal sealed partial class SpoolDrain(LeaseKeeper keeper, ReconcileOptions options, ILogger<SpoolDrain> logger) : IDisposable
{
    private readonly SemaphoreSlim _draining = new(1, 1);

    public int PendingCount() =>
        Directory.Exists(options.SpoolDir) ? Directory.EnumerateFiles(options.SpoolDir, "*" + SpooledRelease.FileSuffix).Count() : 0;

    /// <summary>Applies every spooled release; returns how many.</summary>
    public async Task<int> DrainAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(options.SpoolDir))
        {
            return 0;
        }

        await _draining.WaitAsync(cancellationToken);
        try
        {
            var applied = 0;
            foreach (var file in Directory.EnumerateFiles(options.SpoolDir, "*" + SpooledRelease.FileSuffix).Order(StringComparer.Ordinal).ToList())
            {
                SpooledRelease? release;
                try
                {
                    release = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(file, cancellationToken), ProtocolJsonContext.Default.SpooledRelease);
                }
                catch (JsonException ex)
                {
                    File.Move(file, file + ".unreadable", overwrite: true);
                    LogUnreadable(logger, file, ex.Message);
                    continue;
                }

                if (release is null)
                {
                    continue;
                }

                var outcome = await keeper.ReleaseAsync(release.ContainerId, release.IfName, release.Network, rollback: false, cancellationToken);
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
}
