using LiteDB;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Ipam;
using Yurtnet.Daemon.PodStatus;

namespace Yurtnet.Daemon.State;

/// <summary>
/// The state database: one LiteDB file under the state directory, opened by this type only. Every
/// <see cref="Apply"/> is one transaction that is on disk (log fsync'd) when the call returns.
/// </summary>
internal sealed partial class LeaseStore : IDisposable
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
    private long _sequence;

    private LeaseStore(string path, LiteDatabase db, SyncingDataStream data, CommitAwareLogStream log)
    {
        DataPath = path;
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
    public static LeaseStore Open(string stateDir, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        Directory.CreateDirectory(stateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var dataPath = Path.Combine(stateDir, DataFileName);
        try
        {
            return OpenFiles(dataPath, Path.Combine(stateDir, LogFileName));
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
            return OpenFiles(dataPath, Path.Combine(stateDir, LogFileName));
        }
    }

    private static LeaseStore OpenFiles(string dataPath, string logPath)
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
                var store = new LeaseStore(dataPath, db, data, log);
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

    /// <summary>Proves the store accepts a durable write.</summary>
    public void Probe() => Apply(new IpamChanges());

    /// <summary>Proves the store answers a read transaction.</summary>
    public void ProbeRead() => _ = _facts.FindById("sequence");

    /// <summary>Checkpoints and closes the database, then the files (LiteDB does not close streams it was given).</summary>
    public void Dispose()
    {
        _db.Dispose();
        _log.Dispose();
        _data.Dispose();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Critical, Message = "state database {Path} could not be read and was moved to {MovedTo}; starting with an empty one ({Reason}). Leases of running pods come back as they are re-added.")]
    private static partial void LogCorruptStore(ILogger logger, string path, string movedTo, string reason);
}
