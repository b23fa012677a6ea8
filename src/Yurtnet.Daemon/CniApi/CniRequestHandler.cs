using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Appliance.Leds;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.CniApi;

/// <summary>
/// Answers each request with a named result, never a dropped connection: validation problems, exhausted pools
/// and unknown leases are <see cref="ErrorResponse"/>s the plugin turns into CNI errors.
/// </summary>
internal sealed class CniRequestHandler(LeaseKeeper keeper, ClusterFacts facts, NetworkHosts hosts, StateStore store, SpoolDrain spool, Reconciler reconciler, HealthModel health, LedBlinker leds, PodView pods, PeerNetwork peers, TimeProvider time)
{
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    public async Task<Response> HandleAsync(Request request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = request switch
        {
            AllocateRequest r => await AllocateAsync(r, cancellationToken),
            CommitRequest r => await CommitAsync(r, cancellationToken),
            ReleaseRequest r => await ReleaseAsync(r, cancellationToken),
            CheckRequest r => await CheckAsync(r, cancellationToken),
            StatusRequest r => await StatusAsync(r, cancellationToken),
            GcRequest r => await GcAsync(r, cancellationToken),
            LeasesRequest => await LeasesAsync(cancellationToken),
            PeersRequest => new PeersResponse { Enabled = peers.Enabled, Peers = peers.Snapshot(), LastSync = peers.LastSync },
            ReclaimRequest => await ReclaimAsync(cancellationToken),
            LedTestRequest r => await LedTestAsync(r, cancellationToken),
            _ => Error(ErrorKind.InvalidRequest, $"unsupported operation {request.GetType().Name}"),
        };
        return response with { Id = request.Id };
    }

    public static ErrorResponse Error(ErrorKind kind, string message) => new() { Error = kind, Message = message };

    /// <summary>The ADD of an attachment is over without a commit: its pending lease may be reclaimed after pendingTimeout.</summary>
    public Task EndAttemptAsync(string containerId, string ifName) => keeper.EndAttemptAsync(containerId, ifName, CancellationToken.None);

    /// <summary>Frees the addresses of an ADD whose client left between allocate and commit; returns how many.</summary>
    public async Task<int> RollBackAsync(string containerId, string ifName, string network, CancellationToken cancellationToken)
    {
        var outcome = await keeper.ReleaseAsync(containerId, ifName, network, rollback: true, cancellationToken);
        if (outcome.Released > 0)
        {
            health.RecordFailure($"ADD of container {containerId} {ifName} on \"{network}\" was abandoned by its plugin after allocation and rolled back");
        }

        return outcome.Released;
    }

    private static string NoPoolMessage(string network, string cloud) => cloud == "standalone"
        ? $"network \"{network}\" has no address pool: set ipam.subnets in its conflist, or configure yurtnetd's cluster link to use the node's podCIDRs"
        : $"network \"{network}\" has no ipam.subnets and the node's podCIDRs are not known yet (cloud {cloud}): they are learned from the Node object once the cluster link reaches it";

    /// <summary>
    /// A change the store cannot make durable is refused as "try again later" (code 11 for the runtime, which retries
    /// ADD on its own), with the reason; the health model, the fault LED and yurtnetctl status show the store's state.
    /// </summary>
    private ErrorResponse StoreRefused(StoreUnavailableException ex)
    {
        if (ex.Condition != StoreCondition.Ok)
        {
            health.SetStore(ex.Message);
        }

        return Failure(Error(ErrorKind.TryAgainLater, ex.Condition == StoreCondition.Ok
            ? $"ADD refused: {ex.Message}"
            : $"ADD refused: the state cannot be made durable: store {ex.Message}"));
    }

    private ErrorResponse Exhausted(ErrorResponse error)
    {
        health.Notice(Appliance.OperatorNotices.PoolExhausted, "Warning", error.Message);
        return Failure(error);
    }

    private ErrorResponse Failure(ErrorResponse error)
    {
        health.RecordFailure($"ADD refused: {error.Message}");
        return error;
    }

    private async Task<Response> AllocateAsync(AllocateRequest r, CancellationToken cancellationToken)
    {
        if (Invalid(r.ContainerId, r.IfName, r.Network) is { } invalid)
        {
            return invalid;
        }

        // What the runtime did not pass, the pod watch may have seen: a dictionary read, never an API call.
        var seen = r.Pod is { Local: false } pod && pods.TryGet(pod.Key, out var watched) ? new PodSighting(watched.Uid, watched.RequestedIp, pods.Fresh) : null;
        AllocationRequest request;
        switch (AllocationPlanner.Plan(r, facts.Node?.PodCidrs ?? [], seen))
        {
            case AllocationPlan.Ready ready:
                request = ready.Request;
                break;
            case AllocationPlan.NoPool:
                // With a cluster link the pool is coming (transient: the runtime retries); standalone it is a config error.
                var cloud = health.Snapshot().Cloud;
                return Failure(Error(cloud == "standalone" ? ErrorKind.InvalidRequest : ErrorKind.TryAgainLater, NoPoolMessage(r.Network, cloud)));
            case AllocationPlan.Invalid bad:
                return bad.CountsAsFailure ? Failure(Error(ErrorKind.InvalidRequest, bad.Message)) : Error(ErrorKind.InvalidRequest, bad.Message);
            default:
                return Error(ErrorKind.Internal, "unexpected allocation plan");
        }

        AllocationOutcome outcome;
        try
        {
            outcome = await keeper.AllocateAsync(request, cancellationToken);
        }
        catch (StoreUnavailableException ex)
        {
            return StoreRefused(ex);
        }

        if (outcome is AllocationOutcome.Allocated)
        {
            health.RecordActivity();
        }

        return outcome switch
        {
            AllocationOutcome.Allocated a => new AllocateResponse
            {
                Existing = a.Existing,
                Mtu = peers.PodMtuFor(a.Leases.Select(l => request.Pools.First(p => p.Cidr == l.Pool).Network)),
                Addresses = a.Leases.Select(l =>
                {
                    var pool = request.Pools.First(p => p.Cidr == l.Pool);
                    return new AllocatedAddress { Address = $"{l.Ip}/{pool.Network.PrefixLength}", Gateway = pool.Gateway.ToString(), Pool = pool.Cidr };
                }).ToList(),
            },
            AllocationOutcome.Exhausted e => Exhausted(Error(ErrorKind.PoolExhausted, $"no free address in {e.Pools} for network \"{r.Network}\" (pod {r.Pod?.Namespace}/{r.Pod?.Name})")),
            AllocationOutcome.Refused { OfAddress: false } refused => Failure(Error(ErrorKind.InvalidRequest, refused.Reason)),
            AllocationOutcome.Refused refused => Failure(Error(ErrorKind.InvalidRequest, $"{r.RequestedFrom ?? $"pod annotation {Yurtnet.Protocol.Annotations.RequestedIp}"}: {refused.Reason}")),
            _ => Error(ErrorKind.Internal, "unexpected allocation outcome"),
        };
    }

    private async Task<Response> CommitAsync(CommitRequest r, CancellationToken cancellationToken)
    {
        if (Invalid(r.ContainerId, r.IfName, r.Network) is { } invalid)
        {
            return invalid;
        }

        try
        {
            if (!await keeper.CommitAsync(r.ContainerId, r.IfName, r.Mac, cancellationToken))
            {
                return Error(ErrorKind.LeaseUnknown, $"no lease for container {r.ContainerId} interface {r.IfName} (reclaimed, or never allocated)");
            }

            if (r.Host is { } host)
            {
                // Only for a commit that took; a repair pass that sees the lease first repairs it in the next pass.
                await hosts.RecordAsync(r.Network, host, cancellationToken);
            }

            return new CommitResponse();
        }
        catch (StoreUnavailableException ex)
        {
            return StoreRefused(ex);
        }
    }

    private async Task<Response> ReleaseAsync(ReleaseRequest r, CancellationToken cancellationToken)
    {
        if (Invalid(r.ContainerId, r.IfName, r.Network) is { } invalid)
        {
            return invalid;
        }

        if (r.Rollback)
        {
            health.RecordFailure($"ADD of container {r.ContainerId} {r.IfName} on \"{r.Network}\" failed after allocation and was rolled back (see containerd's journal)");
        }

        var outcome = await keeper.ReleaseAsync(r.ContainerId, r.IfName, r.Network, r.Rollback, cancellationToken);
        health.RecordActivity();
        if (outcome.Deferred)
        {
            health.SetStore(store.Health.Problem ?? "failing");
        }

        return new ReleaseResponse { Released = outcome.Released, NetworkIdle = outcome.NetworkIdle && !outcome.Deferred, Deferred = outcome.Deferred };
    }

    private async Task<Response> CheckAsync(CheckRequest r, CancellationToken cancellationToken)
    {
        var leases = (await keeper.SnapshotAsync(cancellationToken)).Where(l => l.ContainerId == r.ContainerId && l.IfName == r.IfName && l.State != LeaseState.Held).ToList();
        return new CheckResponse
        {
            Active = leases.Count > 0 && leases.All(l => l.State == LeaseState.Active),
            Addresses = leases.Select(l => $"{l.Ip}/{IPNetworkPrefix(l.Pool)}").ToList(),
        };
    }

    private async Task<Response> StatusAsync(StatusRequest r, CancellationToken cancellationToken)
    {
        var (writable, problem) = await store.CheckWritableAsync(cancellationToken);
        health.SetStore(writable ? "ok" : problem ?? "not writable");
        string? reason = writable ? null : problem;
        foreach (var cidr in r.Subnets)
        {
            if (!Pool.TryParse(cidr, out _, out var poolProblem))
            {
                reason ??= $"ipam.subnets: {poolProblem}";
            }
        }

        var nodePools = r.Subnets.Count == 0 ? facts.Node?.PodCidrs ?? [] : [];
        if (r.Network is { } network && r.Subnets.Count == 0 && nodePools.Count == 0)
        {
            reason ??= NoPoolMessage(network, health.Snapshot().Cloud);
        }

        if (r.Network is not null)
        {
            // A plugin's STATUS, which containerd polls every few seconds: readiness is all it reads. The counts, the
            // pools' use, health and LEDs are the operator's (yurtnetctl status), and cost more than the rest of the answer.
            return new StatusResponse { Ready = reason is null, Reason = reason, DaemonVersion = Configuration.DaemonVersion.Text, StartedAt = _startedAt, StatePath = store.DataPath };
        }

        var leases = await keeper.SnapshotAsync(cancellationToken);
        var peerTable = peers.Snapshot();
        return new StatusResponse
        {
            Ready = reason is null,
            Reason = reason,
            DaemonVersion = Configuration.DaemonVersion.Text,
            StartedAt = _startedAt,
            StatePath = store.DataPath,
            Pending = leases.Count(l => l.State == LeaseState.Pending),
            Active = leases.Count(l => l.State == LeaseState.Active),
            Held = leases.Count(l => l.State == LeaseState.Held),
            Spooled = spool.PendingCount(),
            Outbox = keeper.OutboxCount,
            PeersRouted = peerTable.Count(p => p.State == "routed"),
            PeersNotRouted = peerTable.Count(p => p.State != "routed"),
            Pools = PoolUse.Of(leases, r.Subnets.Union(nodePools)).Select(p => new PoolUsage
            {
                Pool = p.Cidr,
                Used = p.Used,
                Capacity = p.Capacity is not { } capacity ? "?" : capacity > ulong.MaxValue ? "huge" : capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }).ToList(),
            Health = health.Snapshot(),
            Leds = leds.Describe(),
        };
    }

    private async Task<Response> GcAsync(GcRequest r, CancellationToken cancellationToken)
    {
        var valid = r.ValidAttachments.Select(a => (a.ContainerId, a.IfName)).ToHashSet();
        var outcome = await keeper.GcAsync(r.Network, valid, cancellationToken);
        return new GcResponse { Released = outcome.Released };
    }

    private async Task<Response> LeasesAsync(CancellationToken cancellationToken)
    {
        var leases = await keeper.SnapshotAsync(cancellationToken);
        return new LeasesResponse
        {
            Leases = leases.OrderBy(l => l.Pool, StringComparer.Ordinal).ThenBy(l => l.Ip.GetAddressBytes(), ByteOrder.Instance).Select(l => new LeaseInfo
            {
                Ip = l.Ip.ToString(),
                Pool = l.Pool,
                Network = l.Network,
                State = l.State.ToString().ToLowerInvariant(),
                ContainerId = l.ContainerId,
                IfName = l.IfName,
                Pod = l.PodKey,
                PodUid = l.PodUid,
                Since = l.Since,
                HeldUntil = l.HeldUntil,
            }).ToList(),
        };
    }

    private async Task<Response> LedTestAsync(LedTestRequest r, CancellationToken cancellationToken)
    {
        var duration = TimeSpan.FromMilliseconds(Math.Clamp(r.Milliseconds, 100, 5000));
        return await leds.TestAsync(r.Name, duration, cancellationToken)
            ? new LedTestResponse { Name = r.Name }
            : Error(ErrorKind.InvalidRequest, $"no working LED named \"{r.Name}\"; yurtnetctl status lists them");
    }

    private async Task<Response> ReclaimAsync(CancellationToken cancellationToken)
    {
        var pass = await reconciler.RunOnceAsync(repairHost: true, cancellationToken);
        return new ReclaimResponse
        {
            PendingReclaimed = pass.Reclaimed.PendingReclaimed,
            HoldsExpired = pass.Reclaimed.HoldsExpired,
            SpoolDrained = pass.SpoolDrained,
            HostRepairs = [.. pass.HostRepairs],
            Problem = pass.Problem,
        };
    }

    private static ErrorResponse? Invalid(string containerId, string ifName, string network) =>
        string.IsNullOrEmpty(containerId) || string.IsNullOrEmpty(ifName) || string.IsNullOrEmpty(network)
            ? Error(ErrorKind.InvalidRequest, "containerId, ifName and network are required")
            : null;

    private static int IPNetworkPrefix(string pool) => int.Parse(pool.AsSpan(pool.IndexOf('/', StringComparison.Ordinal) + 1), System.Globalization.CultureInfo.InvariantCulture);

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => ((ReadOnlySpan<byte>)x).SequenceCompareTo(y);
    }
}
