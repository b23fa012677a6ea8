namespace Yurtnet.Daemon.Ipam;

/// <summary>The answer of <see cref="AllocationPlanner.Plan"/>: what to ask the allocator, or why not to.</summary>
internal abstract record AllocationPlan
{
    private AllocationPlan()
    {
    }

    /// <summary>Ready for <see cref="LeaseAllocator.Allocate"/>.</summary>
    public sealed record Ready(AllocationRequest Request) : AllocationPlan;

    /// <summary>Neither the conflist nor the node gives the network a pool.</summary>
    public sealed record NoPool : AllocationPlan;

    /// <summary>The request is malformed; <paramref name="CountsAsFailure"/> when it is the pod's fault, not the runtime's.</summary>
    public sealed record Invalid(string Message, bool CountsAsFailure) : AllocationPlan;
}
