using Yurtnet.Daemon.Ipam;

namespace Yurtnet.Daemon.Reconcile;

/// <summary>What one reconcile pass did.</summary>
/// <param name="SpoolDrained">Spooled releases applied.</param>
/// <param name="Reclaimed">Uncommitted leases reclaimed, holds expired, earlier-boot leases held.</param>
/// <param name="HostRepairs">Host state put back or removed, one line each.</param>
/// <param name="Problem">Why the spool or the releases could not be applied (a store that refuses writes), or null.</param>
internal sealed record ReconcilePass(int SpoolDrained, ReclaimOutcome Reclaimed, IReadOnlyList<string> HostRepairs, string? Problem);
