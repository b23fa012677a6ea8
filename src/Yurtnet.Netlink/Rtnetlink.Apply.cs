namespace Yurtnet.Netlink;

/// <summary>rtnetlink: many routes, neighbours and forwarding entries in one conversation.</summary>
public static partial class Rtnetlink
{
    /// <summary>
    /// Applies the changes in order, in one conversation (64 requests to a send): additions replace an entry with the
    /// same key, removals of an entry already gone succeed. Returns the changes the kernel refused, with its reason;
    /// every other change was applied.
    /// </summary>
    public static List<(KernelChange Change, NetlinkException Error)> Apply(this NetlinkSocket socket, IReadOnlyList<KernelChange> changes)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(changes);
        var w = socket.Writer;
        var failures = socket.ExecuteEach(
            changes.Count,
            i =>
            {
                var change = changes[i];
                switch (change.Entry)
                {
                    case RouteInfo route: WriteRoute(w, route, change.Remove); break;
                    case NeighbourInfo neighbour: WriteNeighbour(w, neighbour, change.Remove); break;
                    case ForwardingInfo forwarding: WriteForwarding(w, forwarding, change.Remove); break;
                    default: throw new ArgumentException($"cannot apply {change.Entry.GetType().Name}", nameof(changes));
                }
            },
            i => $"{changes[i]} in {socket.Where}");
        return failures
            .Where(f => !(changes[f.Index].Remove && (f.Error.IsNotFound || f.Error.Errno == Interop.EADDRNOTAVAIL)))
            .Select(f => (changes[f.Index], f.Error))
            .ToList();
    }
}
