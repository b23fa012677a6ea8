using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Yurtnet.Protocol;

namespace Yurtnet.Cni.Tests;

/// <summary>A yurtnetd that restarts mid-request costs the plugin a reconnect; one that hangs is not asked twice.</summary>
public sealed class DaemonSessionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("yurtnet-session-").FullName;
    private readonly StringWriter _stderr = new();

    private string SocketPath => Path.Combine(_directory, "d.sock");

    public void Dispose()
    {
        _stderr.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private PluginLog Log()
    {
        Assert.True(CniEnvironment.TryRead(
            name => name switch
            {
                "CNI_COMMAND" => "ADD",
                "CNI_CONTAINERID" => "c0ffee",
                "CNI_NETNS" => "/run/netns/x",
                "CNI_IFNAME" => "eth0",
                "CNI_PATH" => "/opt/cni/bin",
                _ => null,
            },
            out var environment,
            out _));
        return new PluginLog(environment, _stderr);
    }

    /// <summary>
    /// A fake yurtnetd on a thread of its own: each connection's first request is read whole and recorded; the
    /// connections in <paramref name="hangUpOn"/> are closed without an answer, the others get a status answer. Those
    /// in <paramref name="closeUnread"/> are closed before anything is read, and <paramref name="closed"/> is set then.
    /// </summary>
    private static Thread Serve(Socket listener, int connections, List<string> ids, int[] hangUpOn, int[]? closeUnread = null, ManualResetEventSlim? closed = null)
    {
        var thread = new Thread(() =>
        {
            try
            {
                Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The test is over and closed the listener.
            }
            catch (Exception ex)
            {
                // Never let the fake daemon's failure take the test host down: the test's own assertions report it.
                lock (ids)
                {
                    ids.Add($"fake daemon failed: {ex.Message}");
                }
            }

            void Accept()
            {
                for (var i = 0; i < connections; i++)
                {
                    var peer = listener.Accept();
                    if (closeUnread?.Contains(i) == true)
                    {
                        peer.Dispose();
                        closed?.Set();
                        continue;
                    }

                    var stream = new NetworkStream(peer);
                    var frame = FrameCodec.Read(stream, FrameCodec.DefaultMaxFrameBytes) ?? throw new IOException("the client sent no request");
                    using (var json = JsonDocument.Parse(frame))
                    {
                        lock (ids)
                        {
                            ids.Add(json.RootElement.GetProperty("id").GetString()!);
                        }
                    }

                    if (!hangUpOn.Contains(i))
                    {
                        FrameCodec.Write(stream, Encoding.UTF8.GetBytes($$"""{"v":{{ProtocolVersion.Current}},"id":"a","kind":"status","ready":true}"""));
                    }

                    peer.Dispose();
                }
            }
        })
        { IsBackground = true };
        thread.Start();
        return thread;
    }

    private Socket Listen() => UnixListener.Listen(SocketPath, backlog: 4);

    /// <summary>
    /// A session whose first connection yurtnetd ended before any request was written on it (a restart between the
    /// plugin's connect and its request); the fake daemon serves <paramref name="connections"/> in all.
    /// </summary>
    private DaemonSession OpenOnAConnectionTheDaemonEnded(Socket listener, int connections, List<string> ids, int[] hangUpOn, out Thread daemon, int attempts = 3)
    {
        using var closed = new ManualResetEventSlim();
        daemon = Serve(listener, connections, ids, hangUpOn, closeUnread: [0], closed);
        var session = DaemonSession.Open(SocketPath, TimeSpan.FromSeconds(2), Log(), attempts);
        Assert.True(closed.Wait(TimeSpan.FromSeconds(10)));
        return session;
    }

    [Fact]
    public void Connection_broken_before_the_answer_is_made_again_and_the_request_sent_once_more_with_a_new_id()
    {
        using var listener = Listen();
        var ids = new List<string>();
        var daemon = Serve(listener, connections: 2, ids, hangUpOn: [0]);
        using var session = DaemonSession.Open(SocketPath, TimeSpan.FromSeconds(2), Log());

        var answer = session.Send(new StatusRequest(), TimeSpan.FromSeconds(5));

        Assert.True(Assert.IsType<StatusResponse>(answer).Ready);
        Assert.True(daemon.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, ids.Distinct().Count());
        Assert.Contains("connecting again and sending it once more", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Posted_request_whose_connection_breaks_before_the_answer_is_sent_once_more_when_the_answer_is_read()
    {
        using var listener = Listen();
        var ids = new List<string>();
        var daemon = Serve(listener, connections: 2, ids, hangUpOn: [0]);
        using var session = DaemonSession.Open(SocketPath, TimeSpan.FromSeconds(2), Log());

        session.Post(new StatusRequest(), TimeSpan.FromSeconds(5));
        var answer = session.Receive();

        Assert.True(Assert.IsType<StatusResponse>(answer).Ready);
        Assert.True(daemon.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, ids.Distinct().Count());
        Assert.Contains("connecting again and sending it once more", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Connection_ended_before_the_request_could_be_written_is_made_again_when_the_answer_is_read()
    {
        // yurtnetd restarted between the plugin's connect and its request: the write fails (EPIPE), the post does not.
        using var listener = Listen();
        var ids = new List<string>();
        using var session = OpenOnAConnectionTheDaemonEnded(listener, connections: 2, ids, hangUpOn: [], out var daemon);

        session.Post(new StatusRequest(), TimeSpan.FromSeconds(5));
        var answer = session.Receive();

        Assert.True(Assert.IsType<StatusResponse>(answer).Ready);
        Assert.True(daemon.Join(TimeSpan.FromSeconds(10)));
        Assert.Single(ids);
        Assert.Contains("connecting again and sending it once more", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Posted_request_on_a_connection_that_broke_with_no_attempt_left_fails_when_the_answer_is_read()
    {
        using var listener = Listen();
        var ids = new List<string>();
        using var session = OpenOnAConnectionTheDaemonEnded(listener, connections: 1, ids, hangUpOn: [], out var daemon, attempts: 1);

        session.Post(new StatusRequest(), TimeSpan.FromSeconds(5));

        Assert.ThrowsAny<IOException>(() => session.Receive());
        Assert.True(daemon.Join(TimeSpan.FromSeconds(10)));
        Assert.Empty(ids);
    }

    [Fact]
    public void Connection_that_breaks_at_the_write_and_again_at_the_read_uses_up_the_attempts_and_no_more()
    {
        using var listener = Listen();
        var ids = new List<string>();
        using var session = OpenOnAConnectionTheDaemonEnded(listener, connections: 2, ids, hangUpOn: [1], out var daemon, attempts: 2);

        session.Post(new StatusRequest(), TimeSpan.FromSeconds(5));

        Assert.ThrowsAny<IOException>(() => session.Receive());
        Assert.True(daemon.Join(TimeSpan.FromSeconds(10)));
        Assert.Single(ids);
        listener.Blocking = false;
        var third = Assert.Throws<SocketException>(() => listener.Accept());
        Assert.Equal(SocketError.WouldBlock, third.SocketErrorCode);
    }

    [Fact]
    public void Broken_connection_with_no_attempt_left_is_the_callers_to_handle()
    {
        using var listener = Listen();
        var ids = new List<string>();
        var daemon = Serve(listener, connections: 1, ids, hangUpOn: [0]);
        using var session = DaemonSession.Open(SocketPath, TimeSpan.FromSeconds(2), Log(), attempts: 1);

        Assert.ThrowsAny<IOException>(() => session.Send(new StatusRequest(), TimeSpan.FromSeconds(5)));
        Assert.True(daemon.Join(TimeSpan.FromSeconds(10)));
        Assert.Single(ids);
    }

    [Fact]
    public void Daemon_that_takes_the_request_and_never_answers_is_not_asked_again()
    {
        // Nobody accepts: the connection waits in the backlog with the request in its buffer, as with a hung daemon.
        // A second attempt would be a second connection in the backlog by the time Send returns.
        using var listener = Listen();
        using var session = DaemonSession.Open(SocketPath, TimeSpan.FromSeconds(2), Log());

        Assert.Throws<TimeoutException>(() => session.Send(new StatusRequest(), TimeSpan.FromMilliseconds(300)));

        listener.Blocking = false;
        using var first = listener.Accept();
        var second = Assert.Throws<SocketException>(() => listener.Accept());
        Assert.Equal(SocketError.WouldBlock, second.SocketErrorCode);
    }
}
