namespace Yurtnet.Daemon.Appliance;

/// <summary>
/// Something an operator must act on, counted since yurtnetd started: the cluster link sends each as one aggregated
/// Kubernetes Event on the Node (its count, the first and last time, the last message), once online.
/// </summary>
/// <param name="Reason">CamelCase, as Kubernetes reasons are (<see cref="OperatorNotices"/>).</param>
/// <param name="Type"><c>Warning</c> or <c>Normal</c>.</param>
/// <param name="Message">The last occurrence's message.</param>
/// <param name="Count">Occurrences since the start.</param>
/// <param name="First">The first occurrence.</param>
/// <param name="Last">The last occurrence.</param>
internal sealed record OperatorNotice(string Reason, string Type, string Message, int Count, DateTimeOffset First, DateTimeOffset Last);

/// <summary>The reasons yurtnetd reports as Events, one per kind of happening.</summary>
internal static class OperatorNotices
{
    /// <summary>An ADD found no free address in its pools.</summary>
    public const string PoolExhausted = "PoolExhausted";

    /// <summary>The Node's podCIDRs changed: new pods get addresses from the new range, running ones keep theirs.</summary>
    public const string PodCidrChanged = "PodCIDRChanged";

    /// <summary>The state database could not be read, was set aside and rebuilt from the host.</summary>
    public const string StateStoreRebuilt = "StateStoreRebuilt";

    /// <summary>GC freed a lease because the live API server no longer has its pod.</summary>
    public const string AddressReleasedByGc = "AddressReleasedByGC";

    /// <summary>A watchdog keep-alive came late: yurtnetd was nearly reset.</summary>
    public const string WatchdogNearMiss = "WatchdogNearMiss";
}
