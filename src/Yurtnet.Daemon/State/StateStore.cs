using System.Diagnostics;
using System.Diagnostics.Metrics;
using LiteDB;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.PodStatus;

namespace Yurtnet.Daemon.State;

/// <summary>
/// The state database: one LiteDB file under the state directory, opened by this type only. Every
/// <c>Apply</c> is one transaction that is on disk (log fdatasync'd) when the call returns; transactions run one at a
/// time, whoever writes. A write that fails (a full card, a failing one, an fdatasync that did not take) leaves the
/// store <see cref="StoreCondition.Full"/> or <see cref="StoreCondition.Failing"/>: the open database is dropped, and the
/// next use opens the files again, so nothing is ever built on state that did not reach the disk
/// (<see cref="Generation"/> tells the keepers to reload). A store written by a newer yurtnet is refused, never wiped.
/// </summary>
internal sealed partial class StateStore : IDisposable
{
    public const string DataFileName = "state.db";
    public const string LogFileName = "state-log.db";
    /// <summary>
    /// The log is copied into the data file once it holds this many 8 KiB pages (LiteDB's default: 1000). Every page
    /// version in the log stays in LiteDB's cache until then, and the cache's buffers are never given back: at 1000, a
    /// storm of 100 pods left yurtnetd 6.5 MB larger for good (make bench, footprint).
    /// </summary>
    internal const int CheckpointPages = 100;

    private static readonly TimeSpan CommitWriteTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _writes = new(1, 1);
    private bool _disposed;
    private readonly object _healthGate = new();
    private readonly string _logPath;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private OpenDatabase? _open;
    private readonly StoreFormat _format;
    private long _sequence;
    private long _fsyncsBefore;
    private DateTimeOffset _lastDurableWrite;
    private StoreCondition _condition;
    private string? _problem;
    private int _generation;
    private readonly Histogram<double>? _syncDuration;

    /// <summary>The meter of the store's instruments (System.Diagnostics.Metrics; the Metrics component exports them).</summary>
    public const string MeterName = "Yurtnet.Daemon.State";

    /// <summary>0.5 ms (an SSD) to 10 s (a worn card that stalls).</summary>
    internal static readonly double[] SyncBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>
    /// How often readiness proves writability with a write of its own when nothing else wrote. STATUS is polled
    /// every few seconds; a probe write each time would wear a gateway's flash (about 140 MB a day).
    /// </summary>
    internal static readonly TimeSpan WriteProbeInterval = TimeSpan.FromMinutes(10);

    private StateStore(string dataPath, string logPath, OpenDatabase? open, StoreFormat format, TimeProvider time, ILogger logger, IMeterFactory? meters)
    {
        _syncDuration = meters?.Create(MeterName).CreateHistogram("yurtnet_store_sync_duration_seconds", unit: "s",
            description: "Time from a commit to its log being on the card (LiteDB's log page written and fdatasync'd); every answer waits for it",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SyncBuckets });
        DataPath = dataPath;
        _logPath = logPath;
        _open = open;
        _format = format;
        _time = time;
        _logger = logger;
        _sequence = open?.Facts.FindById(StoreFormat.SequenceId) is { } seq ? seq["n"].AsInt64 : 0;
        if (open?.MigratedFrom is { } from)
        {
            MigratedFrom = from;
            LogMigrated(logger, dataPath, from, format.Current);
        }

        if (open?.Pending is not null)
        {
            // The files are read as they are; the next write migrates them first (OpenDatabase.Pending).
            _ = RecordFailure(open.Pending.Cause);
        }

        if (open is not null && !LiteDbTransactions.CanReach(open.Database))
        {
            LogTransactionsUnreachable(logger);
        }
    }

    public string DataPath { get; }

    /// <summary>The format the store had before this opening migrated it to this build's, or null.</summary>
    public int? MigratedFrom { get; private set; }

    /// <summary>Where a damaged file was moved when this store was opened, or null.</summary>
    public string? SetAsideTo { get; private init; }

    /// <summary>Documents moved to the quarantine collection when this store was opened (one unreadable document each).</summary>
    public IReadOnlyList<QuarantinedDocument> Quarantined { get; private set; } = [];

    /// <summary>Whether writes work, and if not, why.</summary>
    public (StoreCondition Condition, string? Problem) Health
    {
        get
        {
            lock (_healthGate)
            {
                return (_condition, _problem);
            }
        }
    }

    /// <summary>Counts the reopenings after a failed write: a keeper whose data is older reloads it.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>fdatasyncs of the commit log so far (one per change), for tests and diagnostics.</summary>
    public long Fsyncs => _fsyncsBefore + (_open?.Log.Fsyncs ?? 0);

    /// <summary>
    /// Opens the database in <paramref name="stateDir"/>. A file LiteDB cannot read is moved aside (never deleted)
    /// and a new one is started, so the daemon keeps serving (<see cref="SetAsideTo"/> says where it went, and the
    /// leases are rebuilt from what the host still knows); one document that cannot be mapped is quarantined alone.
    /// </summary>
    /// <param name="stateDir">The state directory.</param>
    /// <param name="logger">The store's log.</param>
    /// <param name="time">The clock.</param>
    /// <param name="format">The format to write and migrate to: <see cref="StoreFormat.This"/> but in tests.</param>
    /// <param name="meters">Where the store's instruments come from (the sync time); none in tests that do not measure.</param>
    /// <exception cref="StoreRefusedException">A newer yurtnet wrote the store in a way this one would misread (a
    /// downgrade), or its migration failed: refused, not wiped.</exception>
    public static StateStore Open(string stateDir, ILogger logger, TimeProvider time, StoreFormat? format = null, IMeterFactory? meters = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        format ??= StoreFormat.This;
        Directory.CreateDirectory(stateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var dataPath = Path.Combine(stateDir, DataFileName);
        var logPath = Path.Combine(stateDir, LogFileName);
        StateStore? opened = null;
        try
        {
            opened = new StateStore(dataPath, logPath, OpenDatabase.Open(dataPath, logPath, format), format, time, logger, meters);
            opened.Quarantine();
            return opened;
        }
        catch (Exception ex) when (ex is not (IOException or UnauthorizedAccessException or OutOfMemoryException or StoreRefusedException))
        {
            opened?.Drop();
            // Whatever LiteDB throws while reading a damaged file (LiteException, range and cast errors from a
            // garbage header or page) means "unreadable". A file locked by another yurtnetd (IOException) or not
            // readable by us is not damaged and must not be moved; neither is one written by a newer yurtnet.
            var suffix = $".corrupt-{time.GetUtcNow():yyyyMMddTHHmmssZ}";
            foreach (var file in new[] { dataPath, logPath })
            {
                if (File.Exists(file))
                {
                    File.Move(file, file + suffix, overwrite: true);
                }
            }

            LogCorruptStore(logger, dataPath, dataPath + suffix, ex.Message);
            return OpenDegradedOnFailure(dataPath, logPath, format, time, logger, meters, dataPath + suffix);
        }
        catch (Exception ex) when (ex is IOException { HResult: not Interop.EAGAIN } or UnauthorizedAccessException)
        {
            // A card that fails or went read-only: yurtnetd still runs, says so, refuses ADD and keeps DEL in memory,
            // and opens the files again as soon as they can be.
            opened?.Drop();
            var store = new StateStore(dataPath, logPath, null, format, time, logger, meters);
            _ = store.Fail(ex);
            return store;
        }
    }

    private static StateStore OpenDegradedOnFailure(string dataPath, string logPath, StoreFormat format, TimeProvider time, ILogger logger, IMeterFactory? meters, string setAsideTo)
    {
        try
        {
            return new StateStore(dataPath, logPath, OpenDatabase.Open(dataPath, logPath, format), format, time, logger, meters) { SetAsideTo = setAsideTo };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteException)
        {
            var store = new StateStore(dataPath, logPath, null, format, time, logger, meters) { SetAsideTo = setAsideTo };
            _ = store.Fail(ex);
            return store;
        }
    }

    /// <summary>Opens the files again if a failed write dropped them (bumping <see cref="Generation"/>).</summary>
    /// <exception cref="StoreUnavailableException">They cannot be opened now.</exception>
    public void Reopen() => _ = Current();

    /// <summary>The leases and cursors; a document that cannot be read (and could not be quarantined) is left out.</summary>
    /// <exception cref="StoreUnavailableException">The files cannot be opened now.</exception>
    public LeaseTable Load() => Read(open => new LeaseTable(
        open.Leases.FindAll().Select(d => TryMap(d, LeaseMapping.FromDocument)).OfType<Lease>().ToList(),
        open.Facts.Find(Query.StartsWith("_id", LeaseMapping.CursorPrefix)).Select(d => TryMap(d, doc => (KeyValuePair<string, UInt128>?)LeaseMapping.FromCursorDocument(doc)))
            .OfType<KeyValuePair<string, UInt128>>().ToList()));

    /// <summary>The pod annotations still to deliver.</summary>
    /// <exception cref="StoreUnavailableException">The files cannot be opened now.</exception>
    public List<OutboxEntry> LoadOutbox() => Read(open => open.Outbox.FindAll().Select(d => TryMap(d, OutboxMapping.FromDocument)).OfType<OutboxEntry>().ToList());

    /// <summary>The peers the cluster link learned; a document that cannot be read is left out (and quarantined at open).</summary>
    /// <exception cref="StoreUnavailableException">The files cannot be opened now.</exception>
    public List<StoredPeer> LoadPeers() => Read(open => open.Peers.FindAll().Select(d => TryMap(d, StoredPeer.FromDocument)).OfType<StoredPeer>().ToList());

    /// <summary>The fact documents whose id starts with <paramref name="prefix"/>.</summary>
    /// <exception cref="StoreUnavailableException">The files cannot be opened now.</exception>
    public List<BsonDocument> LoadFacts(string prefix) => Read(open => open.Facts.Find(Query.StartsWith("_id", prefix)).ToList());

    /// <summary>A fact document (node facts, cloud state) by id, or null (also when the store cannot be read now).</summary>
    public BsonDocument? LoadFact(string id)
    {
        try
        {
            return Read(open => open.Facts.FindById(id));
        }
        catch (StoreUnavailableException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads under the write lock, so that no failing write drops the database under the reader. Whatever LiteDB throws
    /// (I/O, its own checks, casts and ranges from a damaged page) makes the store unavailable, never an escaping error;
    /// only a store written by a newer yurtnet is reported as such.
    /// </summary>
    private T Read<T>(Func<OpenDatabase, T> read)
    {
        _writes.Wait();
        try
        {
            return read(EnsureOpen());
        }
        catch (Exception ex) when (ex is not (StoreRefusedException or StoreUnavailableException or OutOfMemoryException))
        {
            throw Fail(ex);
        }
        finally
        {
            _writes.Release();
        }
    }

    private static T? TryMap<T>(BsonDocument document, Func<BsonDocument, T?> map)
    {
        try
        {
            return map(document);
        }
        catch (StoreRefusedException)
        {
            throw;
        }
        catch (Exception ex) when (ex is InvalidCastException or InvalidDataException or FormatException or OverflowException or ArgumentException or KeyNotFoundException or NullReferenceException)
        {
            return default;
        }
    }

    /// <summary>Persists <paramref name="changes"/> (and fact documents) in one transaction and returns when it is durable.</summary>
    /// <exception cref="StoreUnavailableException">The change is not on disk; the store is full or failing.</exception>
    public void Apply(IpamChanges changes, params IReadOnlyList<BsonDocument> facts)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(facts);
        Write(() => CommitTracked(changes, null, facts));
    }

    /// <summary>
    /// Persists lease changes and the outbox changes that follow from them in one transaction; returns when it is
    /// durable. They were decided on what the store held at <paramref name="decidedOn"/> (a <see cref="Generation"/>):
    /// if the files were opened again since, that may not be what they hold, and nothing is written.
    /// </summary>
    /// <exception cref="StoreUnavailableException">The change is not on disk: the store is full or failing, or was opened again since the decision.</exception>
    public void Apply(IpamChanges changes, OutboxChanges? outbox, int decidedOn)
    {
        ArgumentNullException.ThrowIfNull(changes);
        Write(() =>
        {
            if (_open is null && _condition != StoreCondition.Ok)
            {
                // Dropped after a failed write since the decision (a deferred release that did not take): say why.
                throw new StoreUnavailableException(_condition, _problem ?? _condition.ToString(), null);
            }

            try
            {
                EnsureOpen();
            }
            catch (Exception ex) when (ex is not (StoreRefusedException or OutOfMemoryException))
            {
                throw Fail(ex);
            }

            if (_generation != decidedOn)
            {
                // A race, not a fault: the store is fine (condition Ok), the decision is made again by the next request.
                throw new StoreUnavailableException(StoreCondition.Ok, $"state database {DataPath} was opened again while this change was decided on what it held before; try again", null);
            }

            CommitTracked(changes, outbox, []);
        });
    }

    private void Write(Action write)
    {
        _writes.Wait();
        try
        {
            write();
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Persists fact documents in one transaction, waiting for other writers without blocking a thread.</summary>
    /// <exception cref="StoreUnavailableException">The change is not on disk; the store is full or failing.</exception>
    public Task ApplyAsync(IReadOnlyList<BsonDocument> facts, CancellationToken cancellationToken) => ApplyAsync(facts, [], [], cancellationToken);

    /// <summary>Persists fact documents and peer changes in one transaction, waiting for other writers without blocking a thread.</summary>
    /// <exception cref="StoreUnavailableException">The change is not on disk; the store is full or failing.</exception>
    public async Task ApplyAsync(IReadOnlyList<BsonDocument> facts, IReadOnlyList<StoredPeer> peerUpserts, IReadOnlyList<string> peerRemovals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(peerUpserts);
        ArgumentNullException.ThrowIfNull(peerRemovals);
        await _writes.WaitAsync(cancellationToken);
        try
        {
            CommitTracked(new IpamChanges(), null, facts, peerUpserts, peerRemovals);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Whether a change could be stored now: the last write did not fail and a durable write succeeded within
    /// <see cref="WriteProbeInterval"/>, or else a probe write succeeds now. A full or failing store is probed on every
    /// call, so it is back in service as soon as the card has room again.
    /// </summary>
    public async Task<(bool Writable, string? Problem)> CheckWritableAsync(CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            if (_condition == StoreCondition.Ok && _open is not null && _time.GetUtcNow() - _lastDurableWrite < WriteProbeInterval)
            {
                return (true, null);
            }

            CommitTracked(new IpamChanges(), null, []);
            return (true, null);
        }
        catch (StoreUnavailableException ex)
        {
            return (false, ex.Message);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>One transaction, durable on return, and what it says about the store's health. Call holding <c>_writes</c>.</summary>
    private void CommitTracked(IpamChanges changes, OutboxChanges? outbox, IReadOnlyList<BsonDocument> facts, IReadOnlyList<StoredPeer>? peerUpserts = null, IReadOnlyList<string>? peerRemovals = null)
    {
        try
        {
            Commit(EnsureOpen(), changes, outbox, facts, peerUpserts ?? [], peerRemovals ?? []);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteException)
        {
            throw Fail(ex);
        }

        if (_condition != StoreCondition.Ok)
        {
            LogRecovered(_logger, DataPath, _problem ?? "");
        }

        _lastDurableWrite = _time.GetUtcNow();
        lock (_healthGate)
        {
            (_condition, _problem) = (StoreCondition.Ok, null);
        }
    }

    /// <summary>
    /// A write did not reach the disk: the open database may hold it in its cache, so it is dropped (the next use opens
    /// the files again and sees only what is durable), and the store says why it cannot be written.
    /// </summary>
    private StoreUnavailableException Fail(Exception ex)
    {
        var failure = RecordFailure(ex);
        Drop();
        return failure;
    }

    /// <summary>Says why the store cannot be written (full or failing), without dropping the open database.</summary>
    private StoreUnavailableException RecordFailure(Exception ex)
    {
        // LiteDB writes its log from a queue of its own, so ENOSPC may reach us as one of its exceptions: the file
        // system's own free space decides then.
        var errno = ex is IOException { HResult: > 0 and < 4096 } io ? io.HResult : 0;
        var condition = errno is Interop.ENOSPC or Interop.EDQUOT || FreeBytes() < FullBelowBytes ? StoreCondition.Full : StoreCondition.Failing;
        var problem = condition == StoreCondition.Full
            ? $"full: state database {DataPath} cannot be written, its file system has no room ({ex.Message}); free space on {Path.GetDirectoryName(DataPath)} and it is used again without a restart"
            : $"failing: state database {DataPath} cannot be written ({ex.Message}); check the storage (dmesg) and the file system";
        if (condition != _condition || problem != _problem)
        {
            LogWriteFailed(_logger, problem);
        }

        lock (_healthGate)
        {
            (_condition, _problem) = (condition, problem);
        }

        return new StoreUnavailableException(condition, problem, ex);
    }

    /// <summary>Below this much room (a few log pages) the file system counts as full.</summary>
    private const long FullBelowBytes = 256 * 1024;

    private long FreeBytes()
    {
        try
        {
            return new DriveInfo(Path.GetDirectoryName(DataPath)!).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }

    private OpenDatabase EnsureOpen()
    {
        if (_open is { } open)
        {
            return open;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);

        _open = OpenDatabase.Open(DataPath, _logPath, _format);
        _sequence = _open.Facts.FindById(StoreFormat.SequenceId) is { } seq ? seq["n"].AsInt64 : 0;
        if (_open.MigratedFrom is { } from)
        {
            MigratedFrom = from;
            LogMigrated(_logger, DataPath, from, _format.Current);
        }

        if (_open.Pending is not null)
        {
            _ = RecordFailure(_open.Pending.Cause);
        }

        Interlocked.Increment(ref _generation);
        LogReopened(_logger, DataPath);
        return _open;
    }

    private OpenDatabase Current() => Read(open => open);

    private void Drop()
    {
        if (_open is { } open)
        {
            _open = null;
            _fsyncsBefore += open.Log.Fsyncs;
            open.DisposeQuietly();
        }
    }

    private void Commit(OpenDatabase open, IpamChanges changes, OutboxChanges? outbox, IReadOnlyList<BsonDocument> facts, IReadOnlyList<StoredPeer> peerUpserts, IReadOnlyList<string> peerRemovals)
    {
        if (open.MigrateBeforeWrite(_sequence) is { } from)
        {
            _sequence++;
            MigratedFrom = from;
            LogMigrated(_logger, DataPath, from, _format.Current);
        }

        // A setting in the file's header, so written once and with a write like any other: opening a store on a full
        // card must not need one.
        if (open.Database.CheckpointSize != CheckpointPages)
        {
            open.Database.CheckpointSize = CheckpointPages;
        }

        var seen = open.Log.ConfirmedPages;
        open.Database.BeginTrans();
        try
        {
            foreach (var ip in changes.Removals)
            {
                open.Leases.Delete(ip.ToString());
            }

            foreach (var lease in changes.Upserts)
            {
                open.Leases.Upsert(LeaseMapping.ToDocument(lease));
            }

            foreach (var (pool, offset) in changes.Cursors)
            {
                open.Facts.Upsert(LeaseMapping.CursorDocument(pool, offset));
            }

            foreach (var pod in outbox?.Removals ?? [])
            {
                open.Outbox.Delete(pod);
            }

            foreach (var entry in outbox?.Upserts ?? [])
            {
                open.Outbox.Upsert(OutboxMapping.ToDocument(entry));
            }

            foreach (var fact in facts)
            {
                open.Facts.Upsert(fact);
            }

            foreach (var name in peerRemovals)
            {
                open.Peers.Delete(name);
            }

            foreach (var peer in peerUpserts)
            {
                open.Peers.Upsert(peer.ToDocument());
            }

            // Every transaction changes at least this document, so it always ends in a confirmed log page.
            open.Facts.Upsert(_format.Sequence(++_sequence));
            open.Database.Commit();
        }
        catch
        {
            RollBackQuietly(open);
            throw;
        }

        var syncing = Stopwatch.GetTimestamp();
        open.Log.WaitDurable(seen, CommitWriteTimeout);
        _syncDuration?.Record(Stopwatch.GetElapsedTime(syncing).TotalSeconds);
    }

    /// <summary>
    /// Moves every document that cannot be mapped into the <c>quarantine</c> collection, each with the reason, so that
    /// one damaged document costs only itself. Its address (the lease's _id) is kept: the rebuild from the host
    /// finds out whether it is still in use.
    /// </summary>
    /// <summary>
    /// Ends a transaction whose write failed. A rollback after a failed log write fails itself (LiteDB already marked
    /// the page readable); its error is not the one to report, and the database is dropped next.
    /// </summary>
    private static void RollBackQuietly(OpenDatabase open)
    {
        try
        {
            open.Database.Rollback();
        }
        catch (Exception ex) when (ex is LiteException or IOException or InvalidOperationException)
        {
        }
    }

    private void Quarantine()
    {
        var open = Current();
        if (open.Pending is not null)
        {
            // No write before the migration's: the unreadable documents are left out of every load meanwhile.
            return;
        }

        var found = new List<(ILiteCollection<BsonDocument> Collection, BsonValue Id, string Reason)>();
        foreach (var (collection, check) in new (ILiteCollection<BsonDocument>, Action<BsonDocument>)[]
        {
            (open.Leases, d => LeaseMapping.FromDocument(d)),
            (open.Outbox, d => OutboxMapping.FromDocument(d)),
            (open.Peers, d => StoredPeer.FromDocument(d)),
        })
        {
            foreach (var document in collection.FindAll().ToList())
            {
                try
                {
                    check(document);
                }
                catch (StoreRefusedException)
                {
                    throw;
                }
                catch (Exception ex) when (ex is InvalidCastException or InvalidDataException or FormatException or ArgumentException or KeyNotFoundException or NullReferenceException)
                {
                    found.Add((collection, document["_id"], ex.Message));
                }
            }
        }

        if (found.Count == 0)
        {
            return;
        }

        var quarantine = open.Database.GetCollection("quarantine");
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            var seen = open.Log.ConfirmedPages;
            open.Database.BeginTrans();
            foreach (var (collection, id, reason) in found)
            {
                quarantine.Upsert(new BsonDocument { ["_id"] = $"{collection.Name}:{id.RawValue}:{now}", ["reason"] = reason, ["document"] = collection.FindById(id) });
                collection.Delete(id);
                LogQuarantined(_logger, collection.Name, id.RawValue?.ToString() ?? "?", reason, DataPath);
            }

            open.Database.Commit();
            open.Log.WaitDurable(seen, CommitWriteTimeout);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteException)
        {
            // A card without room: the documents stay where they are, and Load leaves them out.
            RollBackQuietly(open);
            _ = Fail(ex);
        }

        Quarantined = found.Select(f => new QuarantinedDocument(f.Collection.Name, f.Id.RawValue?.ToString() ?? "", f.Reason)).ToList();
    }

    /// <summary>Checkpoints and closes the database, then the files (LiteDB does not close streams it was given).</summary>
    public void Dispose()
    {
        // A late write (a rollback during the drain) finishes first; a hung one is not waited for long: the drain
        // before it and this wait fit in the unit's TimeoutStopSec.
        var idle = _writes.Wait(DisposeWait);
        try
        {
            _disposed = true;
            var open = _open;
            _open = null;
            open?.Dispose();
        }
        finally
        {
            if (idle)
            {
                _writes.Release();
            }
        }
    }

    /// <summary>The open files and LiteDB on them; replaced as a whole after a failed write.</summary>
    private sealed class OpenDatabase(LiteDatabase database, SyncingDataStream data, CommitAwareLogStream log) : IDisposable
    {
        public LiteDatabase Database => database;
        public CommitAwareLogStream Log => log;
        public ILiteCollection<BsonDocument> Leases { get; } = database.GetCollection("leases");
        public ILiteCollection<BsonDocument> Facts { get; } = database.GetCollection("facts");
        public ILiteCollection<BsonDocument> Outbox { get; } = database.GetCollection("outbox");
        public ILiteCollection<BsonDocument> Peers { get; } = database.GetCollection("peers");

        /// <summary>The format the store had before this opening migrated it, or null.</summary>
        public int? MigratedFrom { get; private set; }

        /// <summary>
        /// The migration the card did not take at this opening (full or failing), run by the next write before its own
        /// change (<see cref="MigrateBeforeWrite"/>); null when there is none. The files are read as they are meanwhile.
        /// </summary>
        public PendingMigration? Pending { get; private set; }

        /// <summary>Where the store was, what its migration has to do, and why the card did not take it.</summary>
        public sealed record PendingMigration(string DataPath, int From, IReadOnlyList<StoreMigration> Steps, StoreFormat Format)
        {
            public IOException Cause { get; init; } = new("the migration was not written");
        }

        /// <summary>
        /// Opens the files and migrates them to <paramref name="format"/>. When the card does not take the migration and
        /// no step is needed to read the files, they are opened again as they are, with the migration <see cref="Pending"/>:
        /// a full card at the first start of a new version keeps the store readable, as it is for any other write.
        /// </summary>
        /// <exception cref="StoreRefusedException">A newer yurtnet wrote the files in a way <paramref name="format"/> would misread, or their migration failed.</exception>
        public static OpenDatabase Open(string dataPath, string logPath, StoreFormat format)
        {
            try
            {
                return Open(dataPath, logPath, format, migrate: true);
            }
            catch (PendingMigrationException pending)
            {
                var open = Open(dataPath, logPath, format, migrate: false);
                open.Pending = pending.Migration with { Cause = (IOException)pending.InnerException! };
                return open;
            }
        }

        private static OpenDatabase Open(string dataPath, string logPath, StoreFormat format, bool migrate)
        {
            var dataFile = new FileStream(dataPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 8192, FileOptions.RandomAccess);
            CommitAwareLogStream? log = null;
            LiteDatabase? db = null;
            try
            {
                var isNew = dataFile.Length == 0;
                log = new CommitAwareLogStream(new FileStream(logPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 8192, FileOptions.RandomAccess), dataFile);
                var data = new SyncingDataStream(dataFile);
                db = new LiteDatabase(data, mapper: null, logStream: log);
                var open = new OpenDatabase(db, data, log);
                var sequence = open.Facts.FindById(StoreFormat.SequenceId);
                var (stored, readableFrom) = format.Stored(sequence);
                if (readableFrom > format.Current)
                {
                    throw new StoreRefusedException($"state database {dataPath} was written by a newer yurtnet (format {stored}, read correctly only from format {readableFrom}; this yurtnetd reads format {format.Current}): install that version again, or move the file away to start empty (its leases are then rebuilt from the host)");
                }

                if (stored < format.Current && migrate)
                {
                    var pending = new PendingMigration(dataPath, stored, Steps(dataPath, stored, format), format);
                    try
                    {
                        open.Migrate(pending, sequence?["n"].AsInt64 ?? 0);
                    }
                    catch (IOException ex) when (!pending.Steps.Any(s => s.NeededToRead))
                    {
                        throw new PendingMigrationException(pending, ex);
                    }
                }

                if (isNew)
                {
                    dataFile.Flush(flushToDisk: true);
                }

                return open;
            }
            catch
            {
                try
                {
                    db?.Dispose();
                }
                catch (Exception)
                {
                    // Closing a database that failed to open: its own error is the one to report.
                }

                if (db is not null)
                {
                    LiteDbTransactions.Abandon(db);
                }

                log?.Dispose();
                dataFile.Dispose();
                throw;
            }
        }

        /// <summary>The steps from <paramref name="stored"/>, all of them, before anything is changed.</summary>
        private static List<StoreMigration> Steps(string dataPath, int stored, StoreFormat format)
        {
            try
            {
                return format.StepsFrom(stored).ToList();
            }
            catch (InvalidOperationException ex)
            {
                throw new StoreRefusedException($"state database {dataPath} is of format {stored}, which this yurtnetd cannot migrate to format {format.Current}: {ex.Message}", ex);
            }
        }

        /// <summary>Runs a <see cref="Pending"/> migration before the first write that needs the files in this format.</summary>
        /// <returns>The format migrated from, or null when nothing was pending.</returns>
        /// <exception cref="IOException">The card did not take it (the write fails as any other would).</exception>
        public int? MigrateBeforeWrite(long sequence)
        {
            if (Pending is not { } pending)
            {
                return null;
            }

            Migrate(pending, sequence);
            Pending = null;
            return pending.From;
        }

        /// <summary>
        /// Runs the steps in one durable transaction. A step that fails rolls every step back and refuses the store,
        /// unless the card failed under it. Writing the result is a write like any other: one the card refuses (full,
        /// failing) leaves the store as it was and reaches the caller as an <see cref="IOException"/>, so the store is
        /// full or failing, never set aside or refused, and the migration runs again.
        /// </summary>
        private void Migrate(PendingMigration pending, long sequence)
        {
            var seen = log.ConfirmedPages;
            database.BeginTrans();
            foreach (var migration in pending.Steps)
            {
                try
                {
                    migration.Apply(database);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    RollBackQuietly(this);
                    throw ex as IOException ?? new IOException(ex.Message, ex);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    RollBackQuietly(this);
                    throw new StoreRefusedException($"state database {pending.DataPath} (format {pending.From}) could not be migrated to format {migration.To} ({migration.What}): {ex.Message}. It was left as it was: install the yurtnet that wrote it again, and report this", ex);
                }
            }

            try
            {
                Facts.Upsert(pending.Format.Sequence(sequence + 1));
                database.Commit();
                log.WaitDurable(seen, CommitWriteTimeout);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                RollBackQuietly(this);
                throw ex as IOException ?? new IOException($"the migration of state database {pending.DataPath} from format {pending.From} to {pending.Format.Current} could not be written: {ex.Message}", ex);
            }

            MigratedFrom = pending.From;
        }

        /// <summary>A migration the card did not take at open: the files are opened again as they are.</summary>
        private sealed class PendingMigrationException(PendingMigration migration, IOException cause) : IOException(cause.Message, cause)
        {
            public PendingMigration Migration => migration;
        }

        /// <summary>Drops a database whose last write failed: whatever it still holds in memory is not on disk.</summary>
        public void DisposeQuietly()
        {
            try
            {
                database.Dispose();
            }
            catch (Exception)
            {
                // A poisoned LiteDB ("page must be writable") fails to checkpoint on close; the files stay as they are.
            }

            // Whether or not the close failed, a transaction it could not dispose must not be finalized later.
            LiteDbTransactions.Abandon(database);
            foreach (var stream in new Stream[] { log, data })
            {
                try
                {
                    stream.Dispose();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // A card that fails the last fsync: the file is closed all the same (SyncingDataStream).
                }
            }
        }

        public void Dispose()
        {
            database.Dispose();
            log.Dispose();
            data.Dispose();
        }
    }
}
