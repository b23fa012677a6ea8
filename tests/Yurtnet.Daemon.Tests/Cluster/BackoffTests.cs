using Yurtnet.Daemon.Cluster;

namespace Yurtnet.Daemon.Tests.Cluster;

public sealed class BackoffTests
{
    [Fact]
    public void Waits_double_from_one_second_to_a_minute_within_the_upper_half_of_each_step()
    {
        var backoff = new Backoff(new Random(7));
        var waits = Enumerable.Range(0, 12).Select(_ => backoff.Next().TotalSeconds).ToList();

        double[] steps = [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60];
        Assert.All(waits.Zip(steps), p => Assert.InRange(p.First, p.Second / 2, p.Second));
    }

    [Fact]
    public void Reset_starts_again_at_one_second()
    {
        var backoff = new Backoff(new Random(1));
        for (var i = 0; i < 8; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.InRange(backoff.Next().TotalSeconds, 0.5, 1);
    }

    [Fact]
    public void Two_gateways_that_failed_together_do_not_retry_in_lockstep()
    {
        var a = new Backoff(new Random(1));
        var b = new Backoff(new Random(2));

        Assert.NotEqual(Enumerable.Range(0, 5).Select(_ => a.Next()), Enumerable.Range(0, 5).Select(_ => b.Next()));
    }
}
