using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

public sealed class CommitAwareLogStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Commit_whose_log_page_the_card_refuses_on_the_writer_thread_fails_at_once_with_that_error()
    {
        // /dev/full refuses every write with ENOSPC, as a full card does LiteDB's queued log write on its own thread.
        using var data = new FileStream(Path.Combine(_dir, "data"), FileMode.Create);
        using var log = new CommitAwareLogStream(new FileStream("/dev/full", FileMode.Open, FileAccess.Write), data);
        var page = new byte[CommitAwareLogStream.PageSize];
        page[18] = 1; // confirmed: the last page of a transaction
        await Task.Run(() => Assert.ThrowsAny<IOException>(() => log.Write(page, 0, page.Length)));

        var failed = Assert.ThrowsAny<IOException>(() => log.WaitDurable(seen: 0, TimeSpan.FromSeconds(30)));

        Assert.Equal(Interop.ENOSPC, failed.HResult);
        Assert.Contains("could not write the commit", failed.Message, StringComparison.Ordinal); // not "within 30 s"
    }
}
