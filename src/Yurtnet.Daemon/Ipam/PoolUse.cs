namespace Yurtnet.Daemon.Ipam;

/// <summary>
/// One pool's use, as status, the metrics and the Node report give it: the leases in it (any state) and the addresses
/// it can hand out (null for a CIDR that is not a pool). Pure.
/// </summary>
internal sealed record PoolUse(string Cidr, int Used, UInt128? Capacity)
{
    /// <summary>Every pool a lease is in or <paramref name="known"/> names, in CIDR order.</summary>
    public static List<PoolUse> Of(IReadOnlyCollection<Lease> leases, IEnumerable<string> known) =>
        leases.Select(l => l.Pool).Union(known).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(cidr => new PoolUse(cidr, leases.Count(l => l.Pool == cidr), Pool.TryParse(cidr, out var pool, out _) ? pool.Capacity : null))
            .ToList();
}
