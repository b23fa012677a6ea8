namespace Yurtnet.Daemon.Ipam;

/// <summary>The life of a lease: pending (allocated, not plumbed) → active (committed) → held (released, reserved for its pod) → free (deleted).</summary>
internal enum LeaseState
{
    Pending,
    Active,
    Held,
}
