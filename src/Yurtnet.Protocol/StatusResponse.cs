namespace Yurtnet.Protocol;

/// <summary>Answer to <see cref="StatusRequest"/>.</summary>
public sealed record StatusResponse : Response
{
    /// <summary>True when an ADD can be served.</summary>
    public required bool Ready { get; init; }

    /// <summary>Why not, when not ready.</summary>
    public string? Reason { get; init; }

    /// <summary>Daemon version.</summary>
    public string DaemonVersion { get; init; } = "";

    /// <summary>When the daemon started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Path of the state database.</summary>
    public string StatePath { get; init; } = "";

    /// <summary>Lease counts by state.</summary>
    public int Pending { get; init; }

    /// <summary>Active leases.</summary>
    public int Active { get; init; }

    /// <summary>Held leases.</summary>
    public int Held { get; init; }

    /// <summary>Releases waiting in the spool.</summary>
    public int Spooled { get; init; }

    /// <summary>Pod network-status annotations waiting to reach the cluster (0 standalone).</summary>
    public int Outbox { get; init; }

    /// <summary>Peers of the NodePool network routed to now.</summary>
    public int PeersRouted { get; init; }

    /// <summary>Peers known but not routed (refused, or the kernel refused their entries).</summary>
    public int PeersNotRouted { get; init; }

    /// <summary>Per-pool usage.</summary>
    public IReadOnlyList<PoolUsage> Pools { get => _pools; init => _pools = value ?? []; }

    // An absent member reads as empty: the source-generated reader sets every init-only member, null when absent.
    private readonly IReadOnlyList<PoolUsage> _pools = [];

    /// <summary>Health inputs (absent from daemons that predate them).</summary>
    public HealthInfo? Health { get; init; }

    /// <summary>The configured status LEDs.</summary>
    public IReadOnlyList<LedInfo> Leds { get => _leds; init => _leds = value ?? []; }

    // An absent member reads as empty: the source-generated reader sets every init-only member, null when absent.
    private readonly IReadOnlyList<LedInfo> _leds = [];
}
