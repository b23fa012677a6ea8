using System.Diagnostics;

namespace Yurtnet.Cni;

/// <summary>
/// One time budget for a whole verb, passed down as a value (Npgsql's NpgsqlTimeout): each step takes what is left,
/// so the steps together never take longer than the budget.
/// </summary>
internal readonly record struct Deadline(long EndTimestamp)
{
    public static Deadline After(TimeSpan budget) => new(Stopwatch.GetTimestamp() + (long)(budget.TotalSeconds * Stopwatch.Frequency));

    /// <summary>What is left, never negative.</summary>
    public TimeSpan Remaining => Stopwatch.GetTimestamp() >= EndTimestamp ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), EndTimestamp);

    /// <summary>What is left after keeping <paramref name="reserve"/> for a later step, at most <paramref name="cap"/>.</summary>
    public TimeSpan Take(TimeSpan cap, TimeSpan reserve = default)
    {
        var left = Remaining - reserve;
        return left <= TimeSpan.Zero ? TimeSpan.Zero : left < cap ? left : cap;
    }
}
