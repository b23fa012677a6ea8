namespace Yurtnet.Daemon.State;

/// <summary>LiteDB's data file, where a flush (after a checkpoint) reaches the disk, not just the page cache.</summary>
internal sealed class SyncingDataStream(FileStream inner) : Stream
{
    public FileStream File => inner;

    public override void Flush() => inner.Flush(flushToDisk: true);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void SetLength(long value) => inner.SetLength(value);

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
            try
            {
                inner.Flush(flushToDisk: true);
            }
            finally
            {
                inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
