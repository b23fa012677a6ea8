using System.Diagnostics;

namespace Yurtnet.Daemon.CniApi;

/// <summary>One request's deadline, from the first byte of its frame to its answer.</summary>
internal readonly record struct RequestDeadline(long EndTimestamp, TimeSpan Budget)
{
    public static RequestDeadline Start(TimeSpan budget) => new(Stopwatch.GetTimestamp() + (long)(budget.TotalSeconds * Stopwatch.Frequency), budget);

    public TimeSpan Remaining => Stopwatch.GetTimestamp() >= EndTimestamp ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), EndTimestamp);
}
