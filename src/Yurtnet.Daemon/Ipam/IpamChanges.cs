using System.Net;

namespace Yurtnet.Daemon.Ipam;

/// <summary>What an IPAM decision changes: the State component persists it, then the table applies it.</summary>
internal sealed record IpamChanges
{
    public List<Lease> Upserts { get; } = [];

    public List<IPAddress> Removals { get; } = [];

    /// <summary>Round-robin positions: the offset last allocated in each pool.</summary>
    public Dictionary<string, UInt128> Cursors { get; } = [];

    public bool IsEmpty => Upserts.Count == 0 && Removals.Count == 0 && Cursors.Count == 0;
}
