using System.Net;

namespace Yurtnet.Daemon.Ipam;

/// <summary>The in-memory image of the persisted leases and round-robin cursors, indexed for the allocator.</summary>
internal sealed class LeaseTable
{
    private readonly Dictionary<IPAddress, Lease> _byIp = [];
    private readonly Dictionary<(string ContainerId, string IfName), List<IPAddress>> _byAttachment = [];
    private readonly Dictionary<string, UInt128> _cursors = new(StringComparer.OrdinalIgnoreCase);

    public LeaseTable()
    {
    }

    public LeaseTable(IEnumerable<Lease> leases, IEnumerable<KeyValuePair<string, UInt128>> cursors)
    {
        ArgumentNullException.ThrowIfNull(leases);
        ArgumentNullException.ThrowIfNull(cursors);
        foreach (var lease in leases)
        {
            Put(lease);
        }

        foreach (var (pool, offset) in cursors)
        {
            _cursors[pool] = offset;
        }
    }

    public int Count => _byIp.Count;

    public IEnumerable<Lease> All => _byIp.Values;

    public bool TryGet(IPAddress ip, out Lease lease) => _byIp.TryGetValue(ip, out lease!);

    public IReadOnlyList<Lease> ForAttachment(string containerId, string ifName) =>
        _byAttachment.TryGetValue((containerId, ifName), out var ips) ? ips.Select(ip => _byIp[ip]).ToList() : [];

    /// <summary>Every pool's round-robin position, as persisted.</summary>
    public IReadOnlyDictionary<string, UInt128> Cursors => _cursors;

    public UInt128 Cursor(string pool) => _cursors.TryGetValue(pool, out var offset) ? offset : 0;

    public void Apply(IpamChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var ip in changes.Removals)
        {
            Remove(ip);
        }

        foreach (var lease in changes.Upserts)
        {
            Put(lease);
        }

        foreach (var (pool, offset) in changes.Cursors)
        {
            _cursors[pool] = offset;
        }
    }

    private void Put(Lease lease)
    {
        Remove(lease.Ip);
        _byIp[lease.Ip] = lease;
        var key = (lease.ContainerId, lease.IfName);
        if (!_byAttachment.TryGetValue(key, out var ips))
        {
            _byAttachment[key] = ips = [];
        }

        ips.Add(lease.Ip);
    }

    private void Remove(IPAddress ip)
    {
        if (!_byIp.Remove(ip, out var old))
        {
            return;
        }

        var key = (old.ContainerId, old.IfName);
        if (_byAttachment.TryGetValue(key, out var ips))
        {
            ips.Remove(ip);
            if (ips.Count == 0)
            {
                _byAttachment.Remove(key);
            }
        }
    }
}
