namespace Yurtnet.Netlink;

/// <summary>One entry to add (or replace) or to remove.</summary>
public readonly record struct KernelChange(IKernelEntry Entry, bool Remove)
{
    /// <summary>Adds or replaces the entry.</summary>
    public static KernelChange Add(IKernelEntry entry) => new(entry, Remove: false);

    /// <summary>Removes the entry; one already gone counts as removed.</summary>
    public static KernelChange Delete(IKernelEntry entry) => new(entry, Remove: true);

    /// <inheritdoc/>
    public override string ToString() => (Remove ? "remove " : "add ") + Entry.Describe();
}
