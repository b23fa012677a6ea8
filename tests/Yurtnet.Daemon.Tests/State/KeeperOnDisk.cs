using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

/// <summary>A lease keeper on a real state database in a directory; disposing closes both, so the directory can be opened again.</summary>
internal sealed class KeeperOnDisk : IDisposable
{
    public KeeperOnDisk(string directory, StateOptions options, TimeProvider time, string bootId = "boot-1")
    {
        Store = StateStore.Open(directory, NullLogger.Instance, time);
        options = options.CniResultsDir == new StateOptions().CniResultsDir ? options with { CniResultsDir = Path.Combine(directory, "no-cni-results") } : options;
        Keeper = new LeaseKeeper(Store, options, new BootId(bootId), time, NullLogger<LeaseKeeper>.Instance, new HostEvidence(options, NullLogger<HostEvidence>.Instance));
    }

    public StateStore Store { get; }

    public LeaseKeeper Keeper { get; }

    public void Dispose()
    {
        Keeper.Dispose();
        Store.Dispose();
    }
}
