using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.PodStatus;

namespace Yurtnet.Daemon.State;

/// <summary>
/// Keeps the leases and the pod-status outbox that follows from them: the in-memory table, the lock that makes
/// every decision see the result of the one before, and the store behind both. Each operation decides with the pure
/// <see cref="LeaseAllocator"/>, makes the changes durable (lease and outbox entry in one transaction), and only then
/// updates memory and answers.
/// </summary>
internal sealed partial class LeaseKeeper : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly StateStore _store;
    private LeaseTable _table;
    private readonly TimeProvider _time;
    private readonly StateOptions _options;
    private readonly ILogger<LeaseKeeper> _logger;
    private Dictionary<string, OutboxEntry> _outbox;

    /// <summary>
    /// Attachments whose ADD allocated and has not yet committed or released: their pending leases are never
    /// reclaimed or collected under them, however long the plumbing takes. In memory only: after a restart nobody is
    /// mid-ADD any more, and pendingTimeout applies.
    /// </summary>
    private readonly HashSet<(string ContainerId, string IfName)> _inProgress = [];
    private readonly bool _reportsPodStatus;

    /// <summary>Releases a full or failing store could not take: applied, in order, as soon as it takes writes again.</summary>
    private readonly List<(string ContainerId, string IfName, string Network, bool Rollback)> _deferred = [];
    private readonly HostEvidence _evidence;

    /// <summary>The rebuild from the host has not reached the disk yet (the store could not be written at start).</summary>
    private bool _rebuildPending = true;

    /// <summary>Why the rebuild could not be written, last logged.</summary>
    private string? _rebuildFailed;

    /// <summary>The rebuild from our host veths after damage reached the disk (in this process: no need to scan again).</summary>
    private bool _hostVethsRebuilt;

    /// <summary>Why the host's evidence could not be read (after damage: our veths); no address is given meanwhile.</summary>
    private string? _evidenceProblem;

    /// <summary>Why the leases could not be read, last logged (so a failing card is not logged for every request).</summary>
    private string? _notLoaded;
    private long _nextSequence;
    private int _outboxCount;
    private int _generation;

    public LeaseKeeper(StateStore store, StateOptions options, BootId bootId, TimeProvider time, ILogger<LeaseKeeper> logger, HostEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(bootId);
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        BootId = bootId.Value;
        _evidence = evidence;

        // Pod status goes to the cluster; standalone there is nobody to tell, and no outbox to fill.
        _reportsPodStatus = options.PodStatusOutbox;
        _table = new LeaseTable([], []);
        _outbox = new Dictionary<string, OutboxEntry>(StringComparer.Ordinal);
        _generation = -1;
        Refresh();
    }

    /// <summary>Raised (under the keeper's lock: keep it short) when outbox entries were added or replaced.</summary>
    public event Action? OutboxChanged;

    public string BootId { get; }

    /// <summary>fdatasyncs of the store so far, for tests and diagnostics.</summary>
    public long Fsyncs => _store.Fsyncs;

    public async Task<AllocationOutcome> AllocateAsync(AllocationRequest request, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            if (_rebuildPending && _evidenceProblem is { } problem)
            {
                // What could not be read may be in use: handing out an address now could give it twice.
                throw new StoreUnavailableException(StoreCondition.Ok, $"the addresses of running pods could not be read from the host after the store was damaged ({problem}); no address is given until they can", null);
            }

            var outcome = LeaseAllocator.Allocate(_table, request, _time.GetUtcNow(), BootId);
            if (outcome is AllocationOutcome.Allocated allocated)
            {
                Persist(allocated.Changes);
                if (!allocated.Existing)
                {
                    _inProgress.Add((request.ContainerId, request.IfName));
                }

                foreach (var note in allocated.Notes)
                {
                    LogDecision(_logger, request.ContainerId, request.IfName, note);
                }
            }

            return outcome;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Commits the attachment's pending leases; false when it has none.</summary>
    public async Task<bool> CommitAsync(string containerId, string ifName, string? mac, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            var changes = LeaseAllocator.Commit(_table, containerId, ifName, mac, _time.GetUtcNow(), BootId);
            if (changes is null)
            {
                return false;
            }

            Persist(changes);
            _inProgress.Remove((containerId, ifName));
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// The ADD of an attachment ended without a commit or a release reaching here (its client left, and the rollback
    /// could not be written): its pending lease is no longer protected from reclaim.
    /// </summary>
    public async Task EndAttemptAsync(string containerId, string ifName, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            _inProgress.Remove((containerId, ifName));
            Refresh();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Releases the attachment's leases; durable on return, or, when the store cannot be written (full, failing),
    /// kept in memory and written as soon as it can: a DEL never fails on a full card.
    /// </summary>
    public async Task<ReleaseOutcome> ReleaseAsync(string containerId, string ifName, string network, bool rollback, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            _inProgress.Remove((containerId, ifName));
            try
            {
                if (!Refresh())
                {
                    // The leases could not be read: an empty table would release nothing and call the network idle.
                    throw new StoreUnavailableException(_store.Health.Condition, _notLoaded ?? "the leases have not been read", null);
                }

                var outcome = LeaseAllocator.Release(_table, containerId, ifName, network, rollback, _time.GetUtcNow(), _options.LeaseHold);
                Persist(outcome.Changes);
                return outcome;
            }
            catch (StoreUnavailableException ex)
            {
                // The release waits in memory (a rollback's pending lease is reclaimed anyway). Lost only if yurtnetd
                // dies before the card has room again: then the lease stays until GC, its pod's return, or a reboot.
                // A spooled release stays in the spool meanwhile (Deferred), so only a plugin's own DEL can be lost so.
                if (!_deferred.Contains((containerId, ifName, network, rollback)))
                {
                    _deferred.Add((containerId, ifName, network, rollback));
                }

                LogDeferred(_logger, containerId, ifName, ex.Message);
                var decided = LeaseAllocator.Release(_table, containerId, ifName, network, rollback, _time.GetUtcNow(), _options.LeaseHold);

                // Idle only on a table that was read: the plugin removes the network's masquerade on an idle answer.
                return decided with { Deferred = true, NetworkIdle = decided.NetworkIdle && _generation >= 0 };
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<ReleaseOutcome> GcAsync(string network, IReadOnlySet<(string, string)> valid, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            var outcome = LeaseAllocator.Gc(_table, network, valid.Union(_inProgress).ToHashSet(), _time.GetUtcNow(), _options.LeaseHold);
            Persist(outcome.Changes);
            return outcome;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Frees leases the cluster GC found orphaned, each only if unchanged since; returns those freed, durable on return.</summary>
    public async Task<List<Lease>> FreeAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        if (leases.Count == 0)
        {
            return [];
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            var changes = LeaseAllocator.Free(_table, leases.Where(l => !_inProgress.Contains((l.ContainerId, l.IfName))));
            Persist(changes);
            return leases.Where(l => changes.Removals.Contains(l.Ip)).ToList();
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<ReclaimOutcome> ReclaimAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            var outcome = LeaseAllocator.Reclaim(_table, _time.GetUtcNow(), BootId, _options.PendingTimeout, _options.LeaseHold, _inProgress);
            Persist(outcome.Changes);
            return outcome;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// A copy of every lease, and whether it is complete: not when the table is not what the store holds or the rebuild
    /// from the host has not run, for then a lease that looks absent may only be unread, and nothing may be removed or
    /// freed on its absence.
    /// </summary>
    public async Task<(List<Lease> Leases, bool Complete)> SnapshotWithCompletenessAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var complete = Refresh() && !_rebuildPending;
            return ([.. _table.All], complete);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>A copy of every lease.</summary>
    public async Task<List<Lease>> SnapshotAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            return [.. _table.All];
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The pod annotations still to deliver, oldest first.</summary>
    public async Task<List<OutboxEntry>> OutboxAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            return [.. _outbox.Values.OrderBy(e => e.Sequence)];
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Entries waiting in the outbox.</summary>
    public int OutboxCount => Volatile.Read(ref _outboxCount);

    /// <summary>
    /// Removes a pod's entry (delivered, or its pod is gone) unless a newer status replaced it meanwhile; durable on
    /// return. False when it was replaced or already removed.
    /// </summary>
    public async Task<bool> RemoveOutboxAsync(string podKey, long sequence, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            if (!_outbox.TryGetValue(podKey, out var entry) || entry.Sequence != sequence)
            {
                return false;
            }

            var removal = new OutboxChanges();
            removal.Removals.Add(podKey);
            Persist(new IpamChanges(), removal);
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Every address a live attachment has on the host is leased again, so that a store that was damaged (set aside, a
    /// document quarantined) or lost never hands out an address twice. Runs at every start before the socket serves
    /// (it costs a directory read, and also covers a state file an operator removed), and again after each reload
    /// until it has reached the disk.
    /// </summary>
    private void Rebuild()
    {
        // Damage is known to the process that found it; the marker keeps it known to the next one until the rebuild
        // from our host veths is on disk (a restart must not make their addresses look free).
        var marker = Path.Combine(_options.StateDir, HostVethRebuildMarker);
        var damaged = ((_store.SetAsideTo is not null || _store.Quarantined.Count > 0) && !_hostVethsRebuilt) || File.Exists(marker);
        if (damaged && !File.Exists(marker))
        {
            WriteMarker(marker);
        }

        List<FoundAttachment> evidence;
        try
        {
            evidence = _evidence.Gather(hostVeths: damaged);
            _evidenceProblem = null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Tried again before each decision; ADD is refused meanwhile (AllocateAsync), the rest goes on.
            if (ex.Message != _evidenceProblem)
            {
                LogEvidenceUnreadable(_logger, ex.Message);
            }

            _evidenceProblem = ex.Message;
            return;
        }

        var (changes, notes) = RecoveryPlanner.Plan(_table, evidence, _time.GetUtcNow(), BootId, _options.LeaseHold);
        try
        {
            Persist(changes);
            _rebuildPending = false;
            if (damaged)
            {
                _hostVethsRebuilt = true;
                try
                {
                    File.Delete(marker);
                }
                catch (IOException)
                {
                    // Left behind: the next start scans the veths once more, which finds what the store has.
                }
            }

            foreach (var note in notes)
            {
                LogRebuilt(_logger, note);
            }
        }
        catch (StoreUnavailableException ex) when (ex.Message == _rebuildFailed)
        {
        }
        catch (StoreUnavailableException ex)
        {
            // Nothing is handed out while the store cannot be written; the rebuild is tried again before each decision.
            LogRebuildFailed(_logger, changes.Upserts.Count, ex.Message);
            _rebuildFailed = ex.Message;
        }
    }

    /// <summary>
    /// The file that says a rebuild from our host veths is owed (the store was damaged and the rebuild has not reached the
    /// disk): created durably, removed once the rebuild is written.
    /// </summary>
    internal const string HostVethRebuildMarker = "rebuild-from-host-veths.pending";

    private void WriteMarker(string marker)
    {
        try
        {
            using (var file = new FileStream(marker, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough))
            {
                file.Write("the state database was damaged: yurtnetd reserves the addresses of its host veths before it gives any\n"u8);
                file.Flush(flushToDisk: true);
            }

            // The directory entry too, so that the marker is there after a power cut.
            var fd = Interop.Open(_options.StateDir, Interop.O_RDONLY | Interop.O_DIRECTORY | Interop.O_CLOEXEC);
            if (fd >= 0)
            {
                using var directory = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
                _ = Interop.Fdatasync(directory);
            }
        }
        catch (IOException ex)
        {
            // The store itself is then most likely failing too; this process still knows of the damage.
            LogEvidenceUnreadable(_logger, $"the marker {marker} could not be written ({ex.Message})");
        }
    }

    /// <summary>
    /// Under the lock, before every decision; never throws. When the store was opened again (after a failed write, or
    /// for the first time), reload what it holds: memory may hold a change that never reached the disk, and a decision
    /// is only written on the generation it was made on (<see cref="StateStore.Apply(IpamChanges, OutboxChanges?, int)"/>).
    /// Then run the rebuild from the host (again after every reload: a document that cannot be read now is left out,
    /// and its address must not look free) and apply the releases that waited for the store. Returns whether the table
    /// holds what the store holds (false: the leases could not be read).
    /// </summary>
    private bool Refresh()
    {
        try
        {
            if (_store.Health.Condition != StoreCondition.Ok || _generation < 0)
            {
                _store.Reopen();
            }

            if (_store.Generation != _generation)
            {
                var generation = _store.Generation;
                var table = _store.Load();
                var outbox = _store.LoadOutbox().ToDictionary(e => e.PodKey, StringComparer.Ordinal);
                (_table, _outbox) = (table, outbox);
                _nextSequence = Math.Max(_nextSequence, _outbox.Count == 0 ? 1 : _outbox.Values.Max(e => e.Sequence) + 1);
                Volatile.Write(ref _outboxCount, _outbox.Count);
                var first = _generation < 0;
                _notLoaded = null;
                _rebuildPending = true;
                _generation = generation;
                if (first)
                {
                    LogLoaded(_logger, _table.Count, _store.DataPath, BootId);
                }
                else
                {
                    LogReloaded(_logger, _table.Count, _store.DataPath);
                }
            }
        }
        catch (StoreUnavailableException ex)
        {
            // Decisions made now are refused by the store (their generation is not the one it opens next), so nothing
            // stale reaches the disk; the next call tries again.
            if (ex.Message != _notLoaded)
            {
                LogNotLoaded(_logger, _store.DataPath, ex.Message);
                _notLoaded = ex.Message;
            }

            return _generation >= 0 && _generation == _store.Generation;
        }

        if (_rebuildPending)
        {
            Rebuild();
        }

        while (_deferred.Count > 0)
        {
            var (containerId, ifName, network, rollback) = _deferred[0];
            var outcome = LeaseAllocator.Release(_table, containerId, ifName, network, rollback, _time.GetUtcNow(), _options.LeaseHold);
            try
            {
                Persist(outcome.Changes);
            }
            catch (StoreUnavailableException)
            {
                return true;
            }

            _deferred.RemoveAt(0);
            LogDeferredApplied(_logger, containerId, ifName, outcome.Released);
        }

        return true;
    }

    /// <summary>Releases waiting in memory for the store to take writes.</summary>
    public int DeferredCount
    {
        get
        {
            _lock.Wait();
            try
            {
                return _deferred.Count;
            }
            finally
            {
                _lock.Release();
            }
        }
    }

    /// <summary>
    /// Makes lease changes durable with the outbox changes that follow from them (or the given ones), then applies
    /// both to memory. Nothing to change writes nothing: the answer depends on state that is already durable.
    /// </summary>
    private void Persist(IpamChanges changes, OutboxChanges? outbox = null)
    {
        outbox ??= _reportsPodStatus && !changes.IsEmpty ? OutboxPlan.For(_table, changes, _outbox, _nextSequence, _time.GetUtcNow()) : null;
        if (changes.IsEmpty && outbox is not { IsEmpty: false })
        {
            return;
        }

        _store.Apply(changes, outbox, _generation);
        _table.Apply(changes);
        if (outbox is { IsEmpty: false })
        {
            foreach (var pod in outbox.Removals)
            {
                _outbox.Remove(pod);
            }

            foreach (var entry in outbox.Upserts)
            {
                _outbox[entry.PodKey] = entry;
                _nextSequence = Math.Max(_nextSequence, entry.Sequence + 1);
            }

            Volatile.Write(ref _outboxCount, _outbox.Count);
            if (outbox.Upserts.Count > 0)
            {
                OutboxChanged?.Invoke();
            }
        }
    }

    /// <summary>Releases the lock; the store belongs to whoever opened it.</summary>
    public void Dispose() => _lock.Dispose();
}
