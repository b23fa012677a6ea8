using System.IO.Pipes;

namespace Yurtnet.Cni.Tests;

public sealed class StandardStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-stdio-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Two_writers_on_one_descriptor_append_at_its_shared_offset_as_a_runtime_log_file_needs()
    {
        // The runtime's stderr may be a plain file it also writes to: the plugin's lines must follow its lines, not
        // overwrite them (a FileStream would write at an offset of its own).
        var path = Path.Combine(_dir, "runtime.log");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        var fd = (int)handle.DangerousGetHandle();

        new StandardStream(fd, FileAccess.Write).Write("runtime: starting\n"u8);
        new StandardStream(fd, FileAccess.Write).Write("yurtnet: error\n"u8);

        Assert.Equal("runtime: starting\nyurtnet: error\n", File.ReadAllText(path));
    }

    [Fact]
    public void Write_after_the_reader_went_away_vanishes_instead_of_failing_the_plugin()
    {
        using var reader = new AnonymousPipeServerStream(PipeDirection.In);
        var fd = (int)reader.ClientSafePipeHandle.DangerousGetHandle();
        reader.Dispose();
        var stream = new StandardStream(fd, FileAccess.Write);

        stream.Write("{\"cniVersion\":\"1.0.0\"}"u8);
        stream.Write("more"u8);
    }

    [Fact]
    public void Descriptor_the_runtime_left_closed_reads_empty_and_swallows_writes()
    {
        const int NeverOpened = 1_000_000;

        using var buffer = new MemoryStream();
        new StandardStream(NeverOpened, FileAccess.Read).CopyTo(buffer);
        new StandardStream(NeverOpened, FileAccess.Write).Write("lost"u8);

        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public async Task Everything_written_reaches_the_reader_of_a_pipe_in_order()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        var fd = (int)pipe.ClientSafePipeHandle.DangerousGetHandle();
        var payload = Enumerable.Range(0, 200_000).Select(i => (byte)(i % 251)).ToArray();
        var reading = Task.Run(() =>
        {
            using var received = new MemoryStream();
            pipe.CopyTo(received);
            return received.ToArray();
        });

        new StandardStream(fd, FileAccess.Write).Write(payload);
        pipe.DisposeLocalCopyOfClientHandle();

        Assert.Equal(payload, await reading);
    }
}
