using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using LiteDB;
using LiteDB.Engine;

namespace Yurtnet.Daemon.State;

/// <summary>
/// Makes a dropped LiteDB database safe to leave to the garbage collector. When a write fails inside LiteDB's log
/// writer (ENOSPC on a full card), LiteDB has already marked the page readable, so the rollback and every dispose after
/// it fail their "discarded page must be writable" check and the transaction stays registered for finalization; its
/// finalizer fails the same check on the finalizer thread, which ends the process at some later collection. LiteDB
/// 5.0.21 offers no way out, so its open transactions are reached through its private members (a field by reflection
/// on a statically known type and name, which NativeAOT keeps; a property by <see cref="UnsafeAccessorAttribute"/>;
/// both checked by <c>LiteDbTransactionsTests</c>) and their finalizers are suppressed: the files are as the last
/// durable write left them, and nothing in memory is used again.
/// </summary>
internal static class LiteDbTransactions
{
    private const string MonitorType = "LiteDB.Engine.TransactionMonitor, LiteDB";
    private const string TransactionsType = "System.Collections.Generic.ICollection`1[[LiteDB.Engine.TransactionService, LiteDB]]";

    /// <summary>LiteEngine's TransactionMonitor (an accessor cannot return a field of a type it cannot name).</summary>
    private static readonly FieldInfo? MonitorField = typeof(LiteEngine).GetField("_monitor", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>
    /// Suppresses the finalizers of the transactions <paramref name="database"/> still holds; returns how many, or -1
    /// when LiteDB's internals are not where this version expects them (then nothing is done).
    /// </summary>
    public static int Abandon(LiteDatabase database)
    {
        if (OpenTransactions(database) is not { } transactions)
        {
            return -1;
        }

        foreach (var transaction in transactions)
        {
#pragma warning disable CA1816 // On purpose: these objects belong to a database that is dropped, never disposed again.
            GC.SuppressFinalize(transaction);
#pragma warning restore CA1816
        }

        return transactions.Count;
    }

    /// <summary>Whether the transactions of <paramref name="database"/> can be reached: checked at every open, so a LiteDB upgrade that moves them is reported at once.</summary>
    public static bool CanReach(LiteDatabase database) => OpenTransactions(database) is not null;

    private static List<object>? OpenTransactions(LiteDatabase database)
    {
        try
        {
            return Engine(database) is LiteEngine engine && MonitorField?.GetValue(engine) is { } monitor && GetTransactions(monitor) is IEnumerable transactions
                ? transactions.Cast<object>().ToList()
                : null;
        }
        catch (Exception ex) when (ex is MissingMemberException or NotSupportedException or BadImageFormatException or InvalidOperationException)
        {
            return null;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_engine")]
    private static extern ref ILiteEngine Engine(LiteDatabase database);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Transactions")]
    [return: UnsafeAccessorType(TransactionsType)]
    private static extern object? GetTransactions([UnsafeAccessorType(MonitorType)] object monitor);
}
