using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Yurtnet.Protocol.Tests;

public sealed class DaemonClientTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("yurtnet-client-").FullName;

    private int _sent;

    private string SocketPath => Path.Combine(_directory, "d.sock");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// A fake yurtnetd that answers one request with <paramref name="answer"/>, <paramref name="chunk"/> bytes at a time,
    /// <paramref name="pause"/> apart; on a thread of its own, so its pace does not depend on the thread pool.
    /// </summary>
    private Thread Serve(Socket listener, byte[] answer, int chunk, TimeSpan pause)
    {
        var thread = new Thread(() =>
        {
            try
            {
                using var peer = listener.Accept();
                peer.Receive(new byte[4]);
                var frame = new byte[4 + answer.Length];
                BinaryPrimitives.WriteInt32BigEndian(frame, answer.Length);
                answer.CopyTo(frame, 4);
                for (var sent = 0; sent < frame.Length; sent += chunk)
                {
                    var n = Math.Min(chunk, frame.Length - sent);
                    peer.Send(frame.AsSpan(sent, n));
                    Interlocked.Add(ref _sent, n);
                    Thread.Sleep(pause);
                }
            }
            catch (SocketException)
            {
                // The client gave up and closed.
            }
        })
        { IsBackground = true };
        thread.Start();
        return thread;
    }

    private Socket Listen() => UnixListener.Listen(SocketPath, backlog: 1);

    private static readonly byte[] Status = Encoding.UTF8.GetBytes("""{"v":1,"id":"a","kind":"status","ready":true}""");

    [Fact]
    public void Answer_arriving_in_pieces_within_the_timeout_is_read_whole()
    {
        using var listener = Listen();
        var server = Serve(listener, Status, chunk: 8, TimeSpan.FromMilliseconds(5));
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));

        var answer = client.Send(new StatusRequest(), TimeSpan.FromSeconds(10));

        Assert.True(Assert.IsType<StatusResponse>(answer).Ready);
        server.Join();
    }

    [Fact]
    public void Answer_dribbled_a_byte_at_a_time_cannot_stretch_the_exchange_past_its_timeout()
    {
        // Each byte comes well within the timeout, so a per-read socket timeout alone would wait for all of them (over 10 s).
        using var listener = Listen();
        _ = Serve(listener, Status, chunk: 1, TimeSpan.FromMilliseconds(200));
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));

        Assert.Throws<TimeoutException>(() => client.Send(new StatusRequest(), TimeSpan.FromSeconds(1)));
        Assert.True(Volatile.Read(ref _sent) < 4 + Status.Length, $"gave up only after all {_sent} bytes came");
    }

    /// <summary>
    /// A fake yurtnetd of one protocol version, answering as yurtnet 0.1.0 does: a frame of its version gets a status
    /// answer, any other an <c>unsupportedVersion</c> error in its version. Records the version of every frame.
    /// </summary>
    private static Thread ServeVersion(Socket listener, int speaks, List<int> seen, int frames)
    {
        var thread = new Thread(() =>
        {
            using var peer = listener.Accept();
            using var stream = new NetworkStream(peer);
            for (var i = 0; i < frames; i++)
            {
                var frame = FrameCodec.Read(stream, FrameCodec.DefaultMaxFrameBytes)!;
                using var json = System.Text.Json.JsonDocument.Parse(frame);
                var version = json.RootElement.GetProperty("v").GetInt32();
                lock (seen)
                {
                    seen.Add(version);
                }

                var answer = version == speaks
                    ? $$"""{"v":{{speaks}},"id":"a","kind":"status","ready":true}"""
                    : $$"""{"v":{{speaks}},"kind":"error","error":"UnsupportedVersion","message":"frame speaks protocol version {{version}}; this yurtnetd speaks {{speaks}}"}""";
                FrameCodec.Write(stream, Encoding.UTF8.GetBytes(answer));
            }
        })
        { IsBackground = true };
        thread.Start();
        return thread;
    }

    [Fact]
    public void Daemon_of_the_previous_release_is_asked_again_in_its_version_and_the_connection_keeps_it()
    {
        // The seconds of an upgrade between dpkg's unpack of the new plugin and the restart of the old daemon.
        using var listener = Listen();
        var seen = new List<int>();
        var server = ServeVersion(listener, speaks: ProtocolVersion.Oldest, seen, frames: 3);
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));

        var first = client.Send(new StatusRequest(), TimeSpan.FromSeconds(10));
        var second = client.Send(new StatusRequest(), TimeSpan.FromSeconds(10));

        Assert.True(Assert.IsType<StatusResponse>(first).Ready);
        Assert.True(Assert.IsType<StatusResponse>(second).Ready);
        Assert.Equal(ProtocolVersion.Oldest, client.Version);
        server.Join();
        Assert.Equal([ProtocolVersion.Current, ProtocolVersion.Oldest, ProtocolVersion.Oldest], seen);
    }

    [Fact]
    public void Posted_request_is_answered_when_read_and_an_older_daemon_is_asked_again_then()
    {
        // The plugin posts its allocate and plumbs while yurtnetd answers; the version fallback happens at the read.
        using var listener = Listen();
        var seen = new List<int>();
        var server = ServeVersion(listener, speaks: ProtocolVersion.Oldest, seen, frames: 2);
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));

        client.Post(new StatusRequest(), TimeSpan.FromSeconds(10));
        var answer = client.Receive();

        Assert.True(Assert.IsType<StatusResponse>(answer).Ready);
        Assert.True(server.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal([ProtocolVersion.Current, ProtocolVersion.Oldest], seen);
    }

    [Fact]
    public void Answer_that_arrived_while_the_caller_worked_past_the_timeout_is_still_read()
    {
        // The plugin posts its allocate and plumbs meanwhile; an answer already in the socket is never a timeout.
        using var listener = Listen();
        var server = Serve(listener, Status, chunk: 1024, TimeSpan.Zero);
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));

        var timeout = TimeSpan.FromMilliseconds(50);
        var posted = System.Diagnostics.Stopwatch.GetTimestamp();
        client.Post(new StatusRequest(), timeout);
        Assert.True(server.Join(TimeSpan.FromSeconds(10)));
        Assert.True(SpinWait.SpinUntil(() => System.Diagnostics.Stopwatch.GetElapsedTime(posted) > timeout, TimeSpan.FromSeconds(10)));

        Assert.True(Assert.IsType<StatusResponse>(client.Receive()).Ready);
    }

    [Fact]
    public void Reading_an_answer_nothing_asked_for_or_posting_before_the_last_answer_is_read_is_refused()
    {
        using var listener = Listen();
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));

        Assert.Throws<InvalidOperationException>(() => client.Receive());
        client.Post(new StatusRequest(), TimeSpan.FromSeconds(1));
        Assert.Throws<InvalidOperationException>(() => client.Post(new StatusRequest(), TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(ProtocolVersion.Oldest - 1)]
    [InlineData(ProtocolVersion.Current + 1)]
    public void Daemon_speaking_no_version_of_ours_gets_one_request_and_its_refusal_is_the_answer(int speaks)
    {
        using var listener = Listen();
        var seen = new List<int>();
        var server = ServeVersion(listener, speaks, seen, frames: 1);
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));

        var answer = client.Send(new StatusRequest(), TimeSpan.FromSeconds(10));

        Assert.Equal(ErrorKind.UnsupportedVersion, Assert.IsType<ErrorResponse>(answer).Error);
        Assert.Equal(ProtocolVersion.Current, client.Version);
        server.Join();
        Assert.Equal([ProtocolVersion.Current], seen);
    }

    [Fact]
    public void Socket_file_that_nothing_listens_on_is_unreachable_and_says_refused()
    {
        // Bound but not listening: what a daemon that died leaves behind, as the kernel sees it.
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(SocketPath));
        var error = Assert.Throws<DaemonUnreachableException>(() => DaemonClient.Connect(SocketPath, TimeSpan.FromMilliseconds(100)));

        Assert.Contains("connection refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Daemon_that_closes_without_answering_is_a_broken_connection_not_a_timeout()
    {
        using var listener = Listen();
        var server = new Thread(() =>
        {
            using var peer = listener.Accept();
            using var stream = new NetworkStream(peer);
            _ = FrameCodec.Read(stream, FrameCodec.DefaultMaxFrameBytes); // the whole request, then a clean close
        })
        { IsBackground = true };
        server.Start();
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));

        var error = Assert.Throws<IOException>(() => client.Send(new StatusRequest(), TimeSpan.FromSeconds(10)));

        Assert.Contains("closed the connection", error.Message, StringComparison.Ordinal);
        server.Join();
    }

    [Fact]
    public void Daemon_that_never_answers_times_out_at_the_deadline()
    {
        using var listener = Listen();
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1)); // queued in the backlog, never accepted

        var error = Assert.Throws<TimeoutException>(() => client.Send(new StatusRequest(), TimeSpan.FromMilliseconds(300)));

        Assert.Contains("did not answer within 0.3 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Socket_path_longer_than_a_unix_socket_allows_is_named_in_the_error()
    {
        var path = "/run/" + new string('y', 120) + ".sock";

        var error = Assert.Throws<DaemonUnreachableException>(() => DaemonClient.Connect(path, TimeSpan.FromMilliseconds(50)));

        Assert.Contains("a Unix socket's path is at most 107 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_socket_is_unreachable_and_says_so()
    {
        var error = Assert.Throws<DaemonUnreachableException>(() => DaemonClient.Connect(SocketPath, TimeSpan.FromMilliseconds(100)));

        Assert.Contains($"no socket at {SocketPath}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Listener_whose_backlog_stays_full_is_unreachable_within_the_budget_and_says_so()
    {
        using var listener = Listen(); // backlog 1, never accepts
        var queued = new List<Socket>();
        try
        {
            while (true)
            {
                var filler = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
                queued.Add(filler);
                try
                {
                    filler.Connect(new UnixDomainSocketEndPoint(SocketPath));
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain)
                {
                    break;
                }
            }

            var waited = System.Diagnostics.Stopwatch.StartNew();
            var error = Assert.Throws<DaemonUnreachableException>(() => DaemonClient.Connect(SocketPath, TimeSpan.FromMilliseconds(300)));

            Assert.Contains("backlog is full", error.Message, StringComparison.Ordinal);
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(5), $"gave up only after {waited.Elapsed}");
        }
        finally
        {
            queued.ForEach(q => q.Dispose());
        }
    }

    [Fact]
    public void Daemon_that_hangs_up_without_reading_the_request_is_a_broken_connection()
    {
        using var listener = Listen();
        var server = new Thread(() => listener.Accept().Dispose()) { IsBackground = true };
        server.Start();
        using var client = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));
        server.Join();

        // Reset or end of stream, whichever the kernel reports first: a broken connection, which DaemonSession retries.
        var error = Assert.ThrowsAny<IOException>(() => client.Send(new StatusRequest(), TimeSpan.FromSeconds(10)));

        Assert.DoesNotContain("deadline", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connecting_now_gives_a_working_connection_when_the_daemon_accepts_and_nothing_otherwise()
    {
        Assert.Null(DaemonClient.TryConnectNow(SocketPath)); // no socket yet
        Assert.Null(DaemonClient.TryConnectNow("relative.sock"));
        Assert.Null(DaemonClient.TryConnectNow("/run/" + new string('y', 120) + ".sock"));
        using var listener = Listen();
        var seen = new List<int>();
        var server = ServeVersion(listener, ProtocolVersion.Current, seen, frames: 1);

        using var client = DaemonClient.TryConnectNow(SocketPath);

        Assert.NotNull(client);
        Assert.True(Assert.IsType<StatusResponse>(client.Send(new StatusRequest(), TimeSpan.FromSeconds(10))).Ready);
        server.Join();
    }

    [Fact]
    public void Connection_the_daemon_ended_before_any_request_is_told_apart_from_one_it_keeps()
    {
        using var listener = Listen();
        using var kept = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));
        using var keptPeer = listener.Accept();
        using var ended = DaemonClient.Connect(SocketPath, TimeSpan.FromSeconds(1));
        listener.Accept().Dispose(); // a restart or an idle cut-off

        Assert.True(SpinWait.SpinUntil(ended.EndedByDaemon, TimeSpan.FromSeconds(5)));
        Assert.False(kept.EndedByDaemon());
    }
}
