using System.Net;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Ipam;

/// <summary>
/// The first, pure step of an ADD: which pools, which requested addresses, which pod. Nothing here reads the store,
/// the pod watch or a clock; the caller passes what they said.
/// </summary>
/// <remarks>
/// Pools: the conflist's <c>ipam.subnets</c>, else the node's pod CIDRs as last learned from the cluster. Requested
/// addresses: what the runtime passed in the pod's annotations; when it passed no annotations at all, the
/// <c>yurtnet.openyurt.io/ip</c> annotation the pod watch saw. Pod UID: the runtime's, else the pod watch's, but only
/// from a view the live API server confirmed, since a cached UID may belong to an earlier pod of the same name.
/// </remarks>
internal static class AllocationPlanner
{
    /// <param name="request">The plugin's request.</param>
    /// <param name="nodePodCidrs">The node's pod CIDRs, for a network without <c>ipam.subnets</c>; empty when unknown.</param>
    /// <param name="seen">The pod as the pod watch saw it, or null.</param>
    public static AllocationPlan Plan(AllocateRequest request, IReadOnlyList<string> nodePodCidrs, PodSighting? seen)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(nodePodCidrs);
        var pools = new List<Pool>();
        foreach (var cidr in request.Subnets)
        {
            if (!Pool.TryParse(cidr, out var pool, out var problem))
            {
                return new AllocationPlan.Invalid($"ipam.subnets: {problem}", CountsAsFailure: false);
            }

            pools.Add(pool);
        }

        if (pools.Count == 0)
        {
            pools.AddRange(nodePodCidrs.Select(c => Pool.TryParse(c, out var pool, out _) ? pool : null).OfType<Pool>());
        }

        if (pools.Count == 0)
        {
            return new AllocationPlan.NoPool();
        }

        var requested = new List<IPAddress>();
        foreach (var text in request.RequestedIps)
        {
            if (!AddressText.TryParse(text, out var ip, out var problem))
            {
                return new AllocationPlan.Invalid($"requestedIps: {problem}", CountsAsFailure: false);
            }

            requested.Add(ip);
        }

        if (!request.PodAnnotationsPassed && seen?.RequestedIp is { } annotation)
        {
            if (!Annotations.TryParseRequestedIps(annotation, out var annotated, out var annotationProblem))
            {
                return new AllocationPlan.Invalid(
                    $"pod annotation {Annotations.RequestedIp}: \"{annotation}\" (as the pod watch saw it): {annotationProblem}; {Annotations.RequestedIpHint}",
                    CountsAsFailure: true);
            }

            // The runtime asked through another source too (the ips capability, CNI_ARGS IP): both must agree.
            if (annotated.FirstOrDefault(a => requested.Any(r => r.AddressFamily == a.AddressFamily && !r.Equals(a))) is { } differs)
            {
                var other = requested.First(r => r.AddressFamily == differs.AddressFamily);
                return new AllocationPlan.Invalid(
                    $"{request.RequestedFrom ?? "the runtime"} asks for {other}, the pod annotation {Annotations.RequestedIp} (as the pod watch saw it) for {differs}; ask for one address per family in one place",
                    CountsAsFailure: true);
            }

            requested = [.. requested, .. annotated.Where(a => !requested.Any(r => r.AddressFamily == a.AddressFamily))];
        }

        return new AllocationPlan.Ready(new AllocationRequest
        {
            RequestedIps = requested,
            ContainerId = request.ContainerId,
            IfName = request.IfName,
            Network = request.Network,
            Netns = request.Netns,
            PodNamespace = request.Pod?.Namespace,
            PodName = request.Pod?.Name,
            PodUid = request.Pod?.Uid ?? (seen is { Fresh: true } ? seen.Uid : null),
            PodLocal = request.Pod?.Local ?? false,
            RequestedMac = request.RequestedMac,
            Pools = pools,
        });
    }
}
