using LiteDB;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.PodStatus;

namespace Yurtnet.Daemon.State;

/// <summary>
/// The state database: one LiteDB file under the state directory, opened by this type only. Every
/// <c>Apply</c> is one transaction that is on disk (log fdatasync'd) when the call returns; transactions run one at a
/// time, whoever writes. The store also knows whether it can still be written (<see cref="CheckWritableAsync"/>).
/// </summary>
internal sealed partial class StateStore : IDisposable
{
    public const string DataFileName = "state.db";
    public const string LogFileName = "state-log.db";
    private static readonly TimeSpan CommitWriteTimeout = TimeSpan.FromSeconds(10);

    private readonly LiteDatabase _db;
    private readonly CommitAwareLogStream _log;
    private readonly SyncingDataStream _data;
    private readonly ILiteCollection<BsonDocument> _leases;
    private readonly ILiteCollection<BsonDocument> _facts;
    private readonly ILiteCollection<BsonDocument> _outbox;
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly TimeProvider _time;
    private long _sequence;
    private DateTimeOffset _lastDurableWrite;
    private string? _lastWriteProblem;

    /// <summary>
    /// How often readiness proves writability with a write of its own when nothing else wrote. STATUS is polled
    /// every few seconds; a probe write each time would wear a gateway's flash (about 140 MB a day).
    /// </summary>
    internal static readonly TimeSpan WriteProbeInterval = TimeSpan.FromMinutes(10);

    private StateStore(string path, LiteDatabase db, SyncingDataStream data, CommitAwareLogStream log, TimeProvider time)
    {
        DataPath = path;
        _time = time;
        _db = db;
        _data = data;
        _log = log;
        _leases = db.GetCollection("leases");
        _facts = db.GetCollection("facts");
        _outbox = db.GetCollection("outbox");
        _sequence = _facts.FindById("sequence") is { } seq ? seq["n"].AsInt64 : 0;
    }

    public string DataPath { get; }

    /// <summary>fsyncs of the commit log so far (one per change), for tests and diagnostics.</summary>
    public long Fsyncs => _log.Fsyncs;

    /// <summary>
    /// Opens the database in <paramref name="stateDir"/>. A file that cannot be read is moved aside (never
    /// deleted) and a new one is started, so the daemon keeps serving; the log says where the old one went.
    /// </summary>
    public static StateStore Open(string stateDir, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        Directory.CreateDirectory(stateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var dataPath = Path.Combine(stateDir, DataFileName);
        try
        {
            return OpenFiles(dataPath, Path.Combine(stateDir, LogFileName), time);
        }
        catch (Exception ex) when (ex is not (IOException or UnauthorizedAccessException or OutOfMemoryException))
        {
            // Whatever LiteDB throws while reading a damaged file (LiteException, range and cast errors from a
            // garbage header) means "unreadable". A file locked by another yurtnetd (IOException) or not
            // readable by us is not damaged and must not be moved.
            var suffix = $".corrupt-{time.GetUtcNow():yyyyMMddTHHmmssZ}";
            foreach (var name in new[] { DataFileName, LogFileName })
            {
                var file = Path.Combine(stateDir, name);
                if (File.Exists(file))
                {
                    File.Move(file, file + suffix, overwrite: true);
                }
            }

            LogCorruptStore(logger, dataPath, dataPath + suffix, ex.Message);
            return OpenFiles(dataPath, Path.Combine(stateDir, LogFileName), time);
        }
    }

    private static StateStore OpenFiles(string dataPath, string logPath, TimeProvider time)
    {
        var dataFile = new FileStream(dataPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 8192, FileOptions.RandomAccess);
        CommitAwareLogStream? log = null;
        try
        {
            var isNew = dataFile.Length == 0;
            log = new CommitAwareLogStream(new FileStream(logPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 8192, FileOptions.RandomAccess), dataFile);
            var data = new SyncingDataStream(dataFile);
            LiteDatabase? db = null;
            try
            {
                db = new LiteDatabase(data, mapper: null, logStream: log);
                var store = new StateStore(dataPath, db, data, log, time);
                foreach (var lease in store._leases.FindAll())
                {
                    _ = LeaseMapping.FromDocument(lease);
                }

                if (isNew)
                {
                    dataFile.Flush(flushToDisk: true);
                }

                return store;
            }
            catch
            {
                DisposeQuietly(db);
                throw;
            }

        }
        catch
        {
            log?.Dispose();
            dataFile.Dispose();
            throw;
        }
    }

    private static void DisposeQuietly(LiteDatabase? disposable)
    {
        try
        {
            disposable?.Dispose();
        }
        catch (Exception)
        {
            // Closing a database that failed to open: its own error is the one to report.
        }
    }

    public LeaseTable Load() => new(
        _leases.FindAll().Select(LeaseMapping.FromDocument).ToList(),
        _facts.Find(Query.StartsWith("_id", LeaseMapping.CursorPrefix)).Select(LeaseMapping.FromCursorDocument).ToList());

    /// <summary>The pod annotations still to deliver.</summary>
    public List<OutboxEntry> LoadOutbox() => _outbox.FindAll().Select(OutboxMapping.FromDocument).ToList();

    /// <summary>A fact document (node facts, cloud state) by id, or null.</summary>
    public BsonDocument? LoadFact(string id) => _facts.FindById(id);

    /// <summary>Persists <paramref name="changes"/> (and fact documents) in one transaction and returns when it is durable.</summary>
    public void Apply(IpamChanges changes, params IReadOnlyList<BsonDocument> facts) => Apply(changes, null, facts);

    /// <summary>Persists lease changes, the outbox changes that follow from them and fact documents in one transaction; returns when it is durable.</summary>
    public void Apply(IpamChanges changes, OutboxChanges? outbox, params IReadOnlyList<BsonDocument> facts)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(facts);
        _writes.Wait();
        try
        {
            CommitTracked(changes, outbox, facts);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Persists fact documents in one transaction, waiting for other writers without blocking a thread.</summary>
    public async Task ApplyAsync(IReadOnlyList<BsonDocument> facts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        await _writes.WaitAsync(cancellationToken);
        try
        {
            CommitTracked(new IpamChanges(), null, facts);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Whether a change could be stored now: the store answers a read transaction, the last write did not fail, and
    /// a durable write succeeded within <see cref="WriteProbeInterval"/> (probing with one when none did).
    /// </summary>
    public async Task<(bool Writable, string? Problem)> CheckWritableAsync(CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            _ = _facts.FindById("sequence");
            if (_lastWriteProblem is null && _time.GetUtcNow() - _lastDurableWrite < WriteProbeInterval)
            {
                return (true, null);
            }

            CommitTracked(new IpamChanges(), null, []);
            return (true, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteException)
        {
            _lastWriteProblem = ex.Message;
            return (false, $"state database {DataPath} is not writable: {ex.Message}");
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>One transaction, durable on return, and what it says about the store's health. Call holding <c>_writes</c>.</summary>
    private void CommitTracked(IpamChanges changes, OutboxChanges? outbox, IReadOnlyList<BsonDocument> facts)
    {
        try
        {
            Commit(changes, outbox, facts);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteException)
        {
            _lastWriteProblem = ex.Message;
            throw;
        }

        _lastDurableWrite = _time.GetUtcNow();
        _lastWriteProblem = null;
    }

    private void Commit(IpamChanges changes, OutboxChanges? outbox, IReadOnlyList<BsonDocument> facts)
    {
        var seen = _log.ConfirmedPages;
        _db.BeginTrans();
        try
        {
            foreach (var ip in changes.Removals)
            {
                _leases.Delete(ip.ToString());
            }

            foreach (var lease in changes.Upserts)
            {
                _leases.Upsert(LeaseMapping.ToDocument(lease));
            }

            foreach (var (pool, offset) in changes.Cursors)
            {
                _facts.Upsert(LeaseMapping.CursorDocument(pool, offset));
            }

            foreach (var pod in outbox?.Removals ?? [])
            {
                _outbox.Delete(pod);
            }

            foreach (var entry in outbox?.Upserts ?? [])
            {
                _outbox.Upsert(OutboxMapping.ToDocument(entry));
            }

            foreach (var fact in facts)
            {
                _facts.Upsert(fact);
            }

            // Every transaction changes at least this document, so it always ends in a confirmed log page.
            _facts.Upsert(new BsonDocument { ["_id"] = "sequence", ["n"] = ++_sequence, ["schema"] = LeaseMapping.Schema });
            _db.Commit();
        }
        catch
        {
            _db.Rollback();
            throw;
        }

        _log.WaitDurable(seen, CommitWriteTimeout);
    }

    /// <summary>Checkpoints and closes the database, then the files (LiteDB does not close streams it was given).</summary>
    public void Dispose()
    {
        _writes.Dispose();
        _db.Dispose();
        _log.Dispose();
        _data.Dispose();
    }
}
