namespace Yurtnet.Daemon.CniApi;

/// <summary>
/// Bounds the bytes of request frames held in memory at once, whatever the number of connections: a frame waits for
/// room (within its own deadline) before its body is read. Real frames are a few hundred bytes, so only a flood of
/// large frames ever waits.
/// </summary>
internal sealed class FrameBudget(long capacity) : IDisposable
{
    private readonly object _gate = new();
    private readonly SemaphoreSlim _released = new(0);
    private long _used;
    private int _waiters;

    public long Capacity => capacity;

    /// <summary>Bytes held now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Reserves <paramref name="bytes"/>; the returned lease gives them back.</summary>
    /// <exception cref="OperationCanceledException">No room within the token's time.</exception>
    public async Task<IDisposable> ReserveAsync(int bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, capacity);
        while (true)
        {
            lock (_gate)
            {
                if (_used + bytes <= capacity)
                {
                    _used += bytes;
                    return new Reservation(this, bytes);
                }

                _waiters++;
            }

            try
            {
                await _released.WaitAsync(cancellationToken);
            }
            finally
            {
                lock (_gate)
                {
                    _waiters--;
                }
            }
        }
    }

    public void Dispose() => _released.Dispose();

    private void Give(int bytes)
    {
        int wake;
        lock (_gate)
        {
            _used -= bytes;
            wake = _waiters;
        }

        if (wake > 0)
        {
            _released.Release(wake);
        }
    }

    private sealed class Reservation(FrameBudget budget, int bytes) : IDisposable
    {
        private int _given;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _given, 1) == 0)
            {
                budget.Give(bytes);
            }
        }
    }
}
