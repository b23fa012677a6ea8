namespace Yurtnet.Daemon.State;

/// <summary>
/// Keeps what the cluster link learned and must outlive a restart: the node's pod CIDRs (so a cold boot without the
/// cloud still serves ADD) and the last cloud state. Read from the store at start; each save is durable on return.
/// </summary>
internal sealed class ClusterFacts(StateStore store) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NodeFacts? _node = NodeFacts.FromDocument(store.LoadFact(NodeFacts.Id));
    private CloudRecord? _cloud = CloudRecord.FromDocument(store.LoadFact(CloudRecord.Id));

    /// <summary>The node's podCIDRs as last learned from the cluster, or null.</summary>
    public NodeFacts? Node => Volatile.Read(ref _node);

    /// <summary>The cloud state last recorded, or null.</summary>
    public CloudRecord? Cloud => Volatile.Read(ref _cloud);

    /// <summary>Records what the cluster says about the node; durable on return. Returns the facts it replaced.</summary>
    public async Task<NodeFacts?> SaveNodeAsync(NodeFacts facts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var previous = _node;
            await store.ApplyAsync([facts.ToDocument()], cancellationToken);
            Volatile.Write(ref _node, facts);
            return previous;
        }
        finally
        {
            _gate.Release();
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

    public void Dispose() => _gate.Dispose();
}
