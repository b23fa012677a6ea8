using LiteDB;

namespace Yurtnet.Daemon.State;

/// <summary>
/// The format of the state database as a whole, kept in the facts document <c>sequence</c> that every transaction
/// rewrites: <c>format</c>, that of the yurtnetd that wrote last, and <c>schema</c>, the oldest format whose
/// yurtnetd reads the store correctly.
/// </summary>
/// <remarks>
/// <para>
/// yurtnet 0.1.0 wrote only <c>schema</c> (1), and refuses a store whose <c>schema</c> is above its own. So
/// <c>schema</c> (<see cref="ReadableFrom"/>) is raised only by a change an older yurtnetd would misread, which then
/// refuses the store instead; a change older readers may ignore (a new optional member, a new collection) raises
/// <c>format</c> (<see cref="Current"/>) alone, and the previous release still runs on the store after a downgrade.
/// This is the split of SQLite's read and write format versions and of ext4's compatible and incompatible features.
/// </para>
/// <para>
/// A yurtnetd whose <see cref="Current"/> is above the stored <c>format</c> runs the <see cref="Migrations"/> in
/// between, in order and in one durable transaction, before it reads anything. An older yurtnetd that writes stamps
/// its own, lower, format (it may have rewritten documents without what it does not know), so the migrations run
/// again after the next upgrade: each must be idempotent. A step that fails rolls all of them back and the store is
/// refused (<see cref="StoreRefusedException"/>), never set aside as damaged.
/// </para>
/// </remarks>
/// <param name="Current">The format this yurtnetd writes.</param>
/// <param name="ReadableFrom">The oldest format whose yurtnetd reads what this one writes.</param>
/// <param name="Migrations">One step to each format above 1, by <see cref="StoreMigration.To"/>.</param>
internal sealed record StoreFormat(int Current, int ReadableFrom, IReadOnlyList<StoreMigration> Migrations)
{
    /// <summary>
    /// This build's format. 1: yurtnet 0.1.0. 2: the store names its format (<c>format</c> in <c>sequence</c>);
    /// nothing else changed, so 0.1.0 reads it (<see cref="ReadableFrom"/> 1) and the step from 1 is the stamp.
    /// </summary>
    public static StoreFormat This { get; } = new(2, 1, [new StoreMigration(2, "the store names its format", _ => { }, NeededToRead: false)]);

    /// <summary>The id of the facts document that carries the format.</summary>
    public const string SequenceId = "sequence";

    /// <summary>The <c>sequence</c> document of a transaction numbered <paramref name="n"/>.</summary>
    public BsonDocument Sequence(long n) => new() { ["_id"] = SequenceId, ["n"] = n, ["schema"] = ReadableFrom, ["format"] = Current };

    /// <summary>
    /// The stored format and the oldest format that reads it; a store without a <c>sequence</c> document has never
    /// been written and is of this format; one without <c>format</c> was written by yurtnet 0.1.0.
    /// </summary>
    public (int Format, int ReadableFrom) Stored(BsonDocument? sequence) => sequence is null
        ? (Current, ReadableFrom)
        : (sequence["format"].IsNumber ? sequence["format"].AsInt32 : 1, sequence["schema"].IsNumber ? sequence["schema"].AsInt32 : 1);

    /// <summary>The steps from <paramref name="stored"/> to <see cref="Current"/>, in order.</summary>
    /// <exception cref="InvalidOperationException">A step is missing (a build error, caught by the tests).</exception>
    public IEnumerable<StoreMigration> StepsFrom(int stored)
    {
        for (var to = stored + 1; to <= Current; to++)
        {
            yield return Migrations.SingleOrDefault(m => m.To == to) ?? throw new InvalidOperationException($"no migration to store format {to}");
        }
    }
}

/// <summary>One step of <see cref="StoreFormat.Migrations"/>: what it changes, run inside the migration's transaction.</summary>
/// <param name="To">The format the store has after it.</param>
/// <param name="What">What it changes, for the log.</param>
/// <param name="Apply">The change; idempotent (it may run again on a store it already changed).</param>
/// <param name="NeededToRead">Whether this yurtnetd misreads the store before the step ran (the safe default). When
/// none of the pending steps is, a store whose migration the card does not take (full, failing) is read as it is and
/// migrated by the next write; otherwise it is not read until the migration is on disk.</param>
internal sealed record StoreMigration(int To, string What, Action<LiteDatabase> Apply, bool NeededToRead = true);
