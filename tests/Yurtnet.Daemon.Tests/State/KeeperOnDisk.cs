using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

/// <summary>A lease keeper on a real state database in a directory; disposing closes both, so the directory can be opened again.</summary>
internal sealed class KeeperOnDisk : IDisposable
{
    public KeeperOnDisk(string directory, StateOptions options, TimeProvider time, string bootId = "boot-1")
    {
        Store = StateStore.Open(directory, NullLogger.Instance, time);
        Keeper = new LeaseKeeper(Store, options, new BootId(bootId), time, NullLogger<LeaseKeeper>.Instance);
    }

    public StateStore Store { get; }

    public LeaseKeeper Keeper { get; }

    public void Dispose()
    {
        Keeper.Dispose();
        Store.Dispose();
    }
}
