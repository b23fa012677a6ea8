using System.Text.Json;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Follows this node's Node object (one list+watch, field selector <c>metadata.name</c>) and keeps its
/// <c>spec.podCIDRs</c> in the store: the pools of networks whose conflist has no <c>ipam.subnets</c>. Re-checked on
/// every (re)list; a change is logged loudly and applies to new allocations only: existing leases keep their
/// addresses and are counted in the log.
/// </summary>
internal sealed partial class NodeWatch(ClusterClient client, CloudHealth cloud, ClusterFacts facts, LeaseKeeper keeper, HealthModel health, ClusterOptions options, TimeProvider time, ILogger<NodeWatch> logger)
{

    public Task RunAsync(CancellationToken stoppingToken)
    {
        if (facts.Node is { } cached)
        {
            LogCached(logger, cached.NodeName, string.Join(", ", cached.PodCidrs), cached.ObservedAt);
        }

        var watch = new KubeListWatch(client, cloud, "api/v1/nodes", KubeListWatch.FieldSelector($"metadata.name={options.NodeName}"), options.WatchTimeout, time, logger);
        return watch.RunAsync(
            async (items, ct) =>
            {
                // Offline lists ignore the selector: pick our node ourselves.
                var node = items.FirstOrDefault(i => KubeObject.Metadata(i, "name") == options.NodeName);
                if (node.ValueKind == JsonValueKind.Undefined)
                {
                    LogNodeMissing(logger, options.NodeName);
                    return;
                }

                await ApplyAsync(node, ct);
            },
            async (type, node, ct) =>
            {
                if (type is "ADDED" or "MODIFIED" && KubeObject.Metadata(node, "name") == options.NodeName)
                {
                    await ApplyAsync(node, ct);
                }
            },
            stoppingToken);
    }

    private async Task ApplyAsync(JsonElement node, CancellationToken cancellationToken)
    {
        var (cidrs, problems) = PodCidrs(node);
        foreach (var problem in problems)
        {
            LogBadCidr(logger, options.NodeName, problem);
        }

        if (cidrs.Count == 0)
        {
            LogNoCidrs(logger, options.NodeName);
            return;
        }

        var seen = new NodeFacts(options.NodeName, cidrs, time.GetUtcNow())
        {
            Pool = KubeObject.Label(node, Peers.PeerScope.PoolLabel),
            Addresses = KubeObject.NodeAddresses(node),
        };
        var current = facts.Node;
        if (current is not null && current.SameAs(seen))
        {
            return;
        }

        var previous = await facts.SaveNodeAsync(seen, cancellationToken);
        if (previous is not null && previous.Pool != seen.Pool)
        {
            LogPoolChanged(logger, options.NodeName, previous.Pool ?? "(none)", seen.Pool ?? "(none)");
        }

        if (previous is not null && previous.PodCidrs.SequenceEqual(cidrs))
        {
            return;
        }

        if (previous is null || previous.PodCidrs.Count == 0)
        {
            LogLearned(logger, options.NodeName, string.Join(", ", cidrs));
            return;
        }

        var gone = previous.PodCidrs.Except(cidrs).ToList();
        var leases = await keeper.SnapshotAsync(cancellationToken);
        var stranded = leases.Count(l => gone.Contains(l.Pool));
        LogChanged(logger, options.NodeName, string.Join(", ", previous.PodCidrs), string.Join(", ", cidrs), stranded);
        health.Notice(OperatorNotices.PodCidrChanged, "Warning", $"podCIDRs changed from {string.Join(", ", previous.PodCidrs)} to {string.Join(", ", cidrs)}: new pods get addresses from the new range; {stranded} lease(s) keep addresses of the old one until their pods are recreated");
    }

    /// <summary><c>spec.podCIDRs</c> (or the older single <c>spec.podCIDR</c>), each checked as a pool.</summary>
    internal static (List<string> Cidrs, List<string> Problems) PodCidrs(JsonElement node)
    {
        var cidrs = new List<string>();
        var problems = new List<string>();
        if (!node.TryGetProperty("spec", out var spec))
        {
            return (cidrs, problems);
        }

        var texts = spec.TryGetProperty("podCIDRs", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : spec.TryGetProperty("podCIDR", out var single) && single.ValueKind == JsonValueKind.String ? [single.GetString()!] : [];
        foreach (var text in texts)
        {
            if (Pool.TryParse(text, out var pool, out var problem))
            {
                cidrs.Add(pool.Cidr);
            }
            else
            {
                problems.Add($"{text}: {problem}");
            }
        }

        return (cidrs, problems);
    }
}
