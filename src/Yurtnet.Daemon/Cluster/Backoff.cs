namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Exponential backoff with jitter for reconnecting to the API: 1 s doubling to 60 s, each wait drawn from the upper
/// half of the step so that gateways that lost the cloud together do not come back in lockstep.
/// </summary>
internal sealed class Backoff(Random random)
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(60);
    private int _failures;

    public TimeSpan Next()
    {
        var step = Math.Min(Cap.TotalMilliseconds, First.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 16)));
        _failures++;
        return TimeSpan.FromMilliseconds(step * (0.5 + (random.NextDouble() / 2)));
    }

    public void Reset() => _failures = 0;
}
