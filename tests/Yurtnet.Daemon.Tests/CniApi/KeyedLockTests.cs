using Yurtnet.Daemon.CniApi;

namespace Yurtnet.Daemon.Tests.CniApi;

public sealed class KeyedLockTests
{
    [Fact]
    public async Task Same_key_waits_for_the_holder()
    {
        var locks = new KeyedLock();
        var first = await locks.AcquireAsync("c1", CancellationToken.None);

        var second = locks.AcquireAsync("c1", CancellationToken.None);
        await Task.Yield();
        Assert.False(second.IsCompleted);

        first.Dispose();
        (await second).Dispose();
    }

    [Fact]
    public async Task Different_keys_do_not_wait_and_no_entry_is_left_behind()
    {
        var locks = new KeyedLock();

        using (await locks.AcquireAsync("c1", CancellationToken.None))
        using (await locks.AcquireAsync("c2", CancellationToken.None))
        {
            Assert.Equal(2, locks.TrackedKeys);
        }

        Assert.Equal(0, locks.TrackedKeys);
    }

    [Fact]
    public async Task Cancelled_waiter_leaves_no_entry()
    {
        var locks = new KeyedLock();
        var holder = await locks.AcquireAsync("c1", CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => locks.AcquireAsync("c1", cancel.Token));
        holder.Dispose();

        Assert.Equal(0, locks.TrackedKeys);
    }
}
