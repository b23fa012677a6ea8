namespace Yurtnet.Daemon.State;

/// <summary>Whether the state database takes writes.</summary>
internal enum StoreCondition
{
    /// <summary>The last write reached the disk.</summary>
    Ok,

    /// <summary>The file system has no room (ENOSPC, EDQUOT): ADD waits for space, DEL is kept, nothing resets.</summary>
    Full,

    /// <summary>Writes fail otherwise (EIO, a read-only remount, an fdatasync that did not take).</summary>
    Failing,
}
