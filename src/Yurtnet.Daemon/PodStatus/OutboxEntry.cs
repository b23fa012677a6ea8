namespace Yurtnet.Daemon.PodStatus;

/// <summary>
/// A pod annotation yurtnetd still has to deliver: the pod's latest network status. One entry per pod (a newer
/// status replaces an older one before it is sent); <paramref name="Sequence"/> tells a delivered entry from one
/// replaced while its patch was in flight.
/// </summary>
/// <param name="PodKey"><c>namespace/name</c>.</param>
/// <param name="PodUid">The pod's UID when the runtime passed it: the patch then applies only to that pod, not to a successor of the same name.</param>
/// <param name="Sequence">Increases with every entry written; the newest entry of a pod has the highest.</param>
/// <param name="Status">The <see cref="NetworkStatus.Annotation"/> value.</param>
/// <param name="Since">When this status was decided.</param>
internal sealed record OutboxEntry(string PodKey, string? PodUid, string Status, long Sequence, DateTimeOffset Since)
{
    public string Namespace => PodKey[..PodKey.IndexOf('/', StringComparison.Ordinal)];

    public string Name => PodKey[(PodKey.IndexOf('/', StringComparison.Ordinal) + 1)..];
}
