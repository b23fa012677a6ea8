namespace Yurtnet.Daemon.State;

/// <summary>
/// Keeps what the cluster link learned and must outlive a restart: the node's pod CIDRs, pool and addresses (so a cold
/// boot without the cloud still serves ADD), the peers of its NodePool (so it still routes to them) and the last cloud
/// state. Read from the store at start; each save is durable on return.
/// </summary>
internal sealed class ClusterFacts(StateStore store) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NodeFacts? _node = NodeFacts.FromDocument(store.LoadFact(NodeFacts.Id));
    private CloudRecord? _cloud = CloudRecord.FromDocument(store.LoadFact(CloudRecord.Id));
    private NodeConditionRecord? _nodeCondition = NodeConditionRecord.FromDocument(store.LoadFact(NodeConditionRecord.Id));
    private IReadOnlyList<StoredPeer> _peers = LoadPeers(store);

    /// <summary>Raised after the node's facts changed (outside any lock).</summary>
    public event Action<NodeFacts>? NodeChanged;

    /// <summary>The node's podCIDRs as last learned from the cluster, or null.</summary>
    public NodeFacts? Node => Volatile.Read(ref _node);

    /// <summary>The peers of the NodePool as last learned from the cluster.</summary>
    public IReadOnlyList<StoredPeer> Peers => Volatile.Read(ref _peers);

    /// <summary>The cloud state last recorded, or null.</summary>
    public CloudRecord? Cloud => Volatile.Read(ref _cloud);

    /// <summary>The Node's NetworkUnavailable condition as last decided, or null before the first decision.</summary>
    public NodeConditionRecord? NodeCondition => Volatile.Read(ref _nodeCondition);

    /// <summary>Records what the cluster says about the node; durable on return. Returns the facts it replaced.</summary>
    public async Task<NodeFacts?> SaveNodeAsync(NodeFacts facts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        NodeFacts? previous;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            previous = _node;
            await store.ApplyAsync([facts.ToDocument()], cancellationToken);
            Volatile.Write(ref _node, facts);
        }
        finally
        {
            _gate.Release();
        }

        NodeChanged?.Invoke(facts);
        return previous;
    }

    /// <summary>Records changes of the peer table; durable on return.</summary>
    public async Task SavePeersAsync(IReadOnlyList<StoredPeer> upserts, IReadOnlyList<string> removals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upserts);
        ArgumentNullException.ThrowIfNull(removals);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await store.ApplyAsync([], upserts, removals, cancellationToken);
            var table = _peers.Where(p => !removals.Contains(p.Name) && !upserts.Any(u => u.Name == p.Name)).Concat(upserts).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
            Volatile.Write(ref _peers, table);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static List<StoredPeer> LoadPeers(StateStore store)
    {
        try
        {
            return store.LoadPeers();
        }
        catch (StoreUnavailableException)
        {
            return [];
        }
    }

    /// <summary>Records a cloud state transition; durable on return.</summary>
    public async Task SaveCloudAsync(CloudRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await store.ApplyAsync([record.ToDocument()], cancellationToken);
            Volatile.Write(ref _cloud, record);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Remembers a new decision about the Node's condition; durable on return.</summary>
    public async Task SaveNodeConditionAsync(NodeConditionRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await store.ApplyAsync([record.ToDocument()], cancellationToken);
            Volatile.Write(ref _nodeCondition, record);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
