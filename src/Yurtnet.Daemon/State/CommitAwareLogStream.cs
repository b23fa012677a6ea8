namespace Yurtnet.Daemon.State;

/// <summary>
/// LiteDB's write-ahead log file, made durable per commit. LiteDB 5 writes log pages from a background queue and
/// never fsyncs them, so a power cut can lose a commit it has already reported. This stream sees every page
/// write; the last page of a transaction carries the "confirmed" flag, so after a commit the store waits until
/// a new confirmed page has been written and then fdatasyncs the file.
/// </summary>
/// <remarks>
/// Page header layout of LiteDB 5 (BasePage): transaction id at byte 14 (4 bytes), confirmed flag at byte 18.
/// The store's tests prove the contract (one confirmed page and one fsync per commit, nothing lost after kill).
/// </remarks>
internal sealed class CommitAwareLogStream(FileStream inner, FileStream dataFile) : Stream
{
    internal const int PageSize = 8192;
    private const int ConfirmedFlagOffset = 18;
    private readonly object _gate = new();
    private long _confirmedPages;
    private long _fsyncs;
    private Exception? _writeFailure;

    /// <summary>Confirmed (end-of-transaction) pages written so far.</summary>
    public long ConfirmedPages
    {
        get
        {
            lock (_gate)
            {
                return _confirmedPages;
            }
        }
    }

    /// <summary>fsyncs issued on the log file, for tests.</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Waits until more than <paramref name="seen"/> confirmed pages were written, then fsyncs the log.</summary>
    public void WaitDurable(long seen, TimeSpan timeout)
    {
        lock (_gate)
        {
            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (_confirmedPages <= seen)
            {
                if (_writeFailure is { } failure)
                {
                    // LiteDB's queue wrote on its own thread and failed there (a full card): say so now, not at the timeout.
                    throw failure is IOException { HResult: > 0 and < 4096 } errno
                        ? new IOException($"LiteDB could not write the commit to {inner.Name}: {failure.Message}", errno.HResult)
                        : new IOException($"LiteDB could not write the commit to {inner.Name}: {failure.Message}", failure);
                }

                var left = deadline - Environment.TickCount64;
                if (left <= 0 || !Monitor.Wait(_gate, TimeSpan.FromMilliseconds(left)))
                {
                    if (_confirmedPages > seen)
                    {
                        break;
                    }

                    throw new IOException($"LiteDB did not write the commit to {inner.Name} within {timeout.TotalSeconds:0.#} s");
                }
            }
        }

        inner.Flush(flushToDisk: false);
        if (Interop.Fdatasync(inner.SafeFileHandle) != 0)
        {
            throw Interop.LastError($"fdatasync {inner.Name}");
        }

        Interlocked.Increment(ref _fsyncs);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        try
        {
            inner.Write(buffer, offset, count);
        }
        catch (Exception ex)
        {
            // Once a page did not reach the file, no later commit of this stream is durable: the store drops it.
            lock (_gate)
            {
                _writeFailure = ex;
                Monitor.PulseAll(_gate);
            }

            throw;
        }

        var confirmed = 0;
        for (var page = offset; page + PageSize <= offset + count; page += PageSize)
        {
            if (buffer[page + ConfirmedFlagOffset] != 0)
            {
                confirmed++;
            }
        }

        if (confirmed > 0)
        {
            lock (_gate)
            {
                _confirmedPages += confirmed;
                Monitor.PulseAll(_gate);
            }
        }
    }

    public override void SetLength(long value)
    {
        // LiteDB truncates the log after a checkpoint copied it into the data file: that copy must be on disk first.
        if (value < inner.Length)
        {
            dataFile.Flush(flushToDisk: true);
        }

        inner.SetLength(value);
    }

    public override void Flush() => inner.Flush(flushToDisk: true);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
