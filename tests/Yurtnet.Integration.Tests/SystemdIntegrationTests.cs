using System.Net.Sockets;
using System.Text;

namespace Yurtnet.Integration.Tests;

/// <summary>yurtnetd as systemd runs it: Type=notify with a watchdog, and socket activation.</summary>
public sealed class SystemdIntegrationTests
{
    [Fact]
    public async Task Notifies_ready_once_serving_then_keeps_the_watchdog_alive_and_says_stopping()
    {
        await using var daemon = new DaemonProcess();
        var notifyPath = Path.Combine(daemon.Root, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var received = new List<(string Message, bool SocketAccepted)>();
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (!stop.IsCancellationRequested)
            {
                var n = await notify.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                var message = Encoding.UTF8.GetString(buffer, 0, n);
                var accepted = message == "READY=1" && CanConnect(daemon.Socket);
                lock (received)
                {
                    received.Add((message, accepted));
                }
            }
        });

        await daemon.StartAgainAsync(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath, ["WATCHDOG_USEC"] = "400000" });
        await Eventually.WaitForAsync(() => Snapshot(received).Count(m => m.Message == "WATCHDOG=1") >= 3);
        daemon.Stop();
        await Eventually.WaitForAsync(() => Snapshot(received).Any(m => m.Message == "STOPPING=1"));
        await stop.CancelAsync();
        await reader.ContinueWith(_ => { }, TaskScheduler.Default);

        var messages = Snapshot(received);
        var ready = messages.FindIndex(m => m.Message == "READY=1");
        Assert.True(ready >= 0, string.Join(" | ", messages.Select(m => m.Message)));
        Assert.True(messages[ready].SocketAccepted, "READY=1 was sent before the socket accepted connections");
        Assert.True(messages.Count(m => m.Message == "WATCHDOG=1") >= 3);
        Assert.Contains(messages, m => m.Message.StartsWith("STATUS=ready:", StringComparison.Ordinal));
        Assert.Equal("STOPPING=1", messages.Last(m => !m.Message.StartsWith("WATCHDOG", StringComparison.Ordinal)).Message);
    }

    [RootFact]
    public async Task Notify_socket_that_goes_away_is_logged_and_the_daemon_serves_on()
    {
        await using var daemon = new DaemonProcess();
        var notifyPath = Path.Combine(daemon.Root, "notify.sock");
        var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        await daemon.StartAgainAsync(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath, ["WATCHDOG_USEC"] = "400000" });
        var buffer = new byte[4096];
        using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (Encoding.UTF8.GetString(buffer, 0, await notify.ReceiveAsync(buffer, SocketFlags.None, ready.Token)) != "READY=1")
            {
            }
        }

        // The socket's file stays, nobody reads it: every datagram is refused (ECONNREFUSED).
        notify.Dispose();
        Assert.True(await daemon.WaitForLogAsync("systemd notify socket"), daemon.Log);
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        var add = CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));

        Assert.True(add.ExitCode == 0, add + "\n" + daemon.Log);
        Assert.True(daemon.Running, daemon.Log);
        Assert.Contains("refuses", daemon.Log, StringComparison.Ordinal);
        Assert.Equal(0, CniRun.Exec("DEL", network.Conf(), "c1", pod.Path).ExitCode);
    }

    [RootFact]
    public async Task Add_issued_before_the_daemon_runs_completes_once_socket_activation_starts_it()
    {
        await using var daemon = new DaemonProcess();
        await daemon.StartSocketActivatedAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        Assert.DoesNotContain("serving", daemon.Log, StringComparison.Ordinal);

        var add = CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));

        Assert.True(add.ExitCode == 0, add + "\n" + daemon.Log);
        Assert.Contains("using the listening socket passed by systemd", daemon.Log, StringComparison.Ordinal);
        Assert.Equal("active", Assert.Single(await daemon.LeasesAsync()).State);
        CniRun.Exec("DEL", network.Conf(), "c1", pod.Path);
    }

    private static bool CanConnect(string path)
    {
        try
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            s.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static List<(string Message, bool SocketAccepted)> Snapshot(List<(string Message, bool SocketAccepted)> received)
    {
        lock (received)
        {
            return [.. received];
        }
    }
}
