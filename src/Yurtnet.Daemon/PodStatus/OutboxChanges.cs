namespace Yurtnet.Daemon.PodStatus;

/// <summary>Outbox changes that go into the same transaction as the lease changes they follow from.</summary>
internal sealed record OutboxChanges
{
    public List<OutboxEntry> Upserts { get; } = [];

    /// <summary>Pod keys whose entry is removed.</summary>
    public List<string> Removals { get; } = [];

    public bool IsEmpty => Upserts.Count == 0 && Removals.Count == 0;
}
