using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// DEL returns success within its bound (delTimeoutSeconds, the whole DEL) whatever state yurtnetd is in, with the
/// release spooled durably; the spool's files are never mistaken for each other.
/// </summary>
[Trait("requirement", "root")]
public sealed class DelBoundTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int DelTimeoutSeconds = 2;

    /// <summary>The plugin's own start and the netns teardown, on top of the DEL's budget, on a loaded CI machine.</summary>
    private static readonly TimeSpan ProcessMargin = TimeSpan.FromSeconds(1.5);

    private static (CniRun Run, TimeSpan Took) TimedDel(System.Text.Json.Nodes.JsonNode conf, string containerId, string netns)
    {
        var started = Stopwatch.GetTimestamp();
        var run = CniRun.Exec("DEL", conf, containerId, netns);
        return (run, Stopwatch.GetElapsedTime(started));
    }

    private void AssertSpooledInTime(CniRun del, TimeSpan took)
    {
        output.WriteLine($"DEL took {took.TotalMilliseconds:0} ms (bound {DelTimeoutSeconds} s)");
        Assert.True(del.ExitCode == 0, del.ToString());
        Assert.Contains("release spooled", del.Stderr, StringComparison.Ordinal);
        Assert.True(took < TimeSpan.FromSeconds(DelTimeoutSeconds) + ProcessMargin, $"DEL took {took.TotalSeconds:0.00} s with delTimeoutSeconds {DelTimeoutSeconds}: {del}");
    }

    [RootFact]
    public async Task Del_of_a_daemon_stopped_by_a_signal_returns_within_its_bound_and_the_release_is_applied_when_it_resumes()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();
        var conf = network.Conf(c => c["delTimeoutSeconds"] = DelTimeoutSeconds);
        CniRun.Exec("ADD", conf, "c1", pod.Path, args: CniRun.PodArgs("p"));
        Signal(daemon.ProcessId, "STOP");
        try
        {
            var (del, took) = TimedDel(conf, "c1", pod.Path);

            AssertSpooledInTime(del, took);
            Assert.Contains("did not answer", del.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Signal(daemon.ProcessId, "CONT");
        }

        daemon.Ask<ReclaimResponse>(new ReclaimRequest());
        Assert.All(await daemon.LeasesAsync(), l => Assert.Equal("held", l.State));
        Assert.Empty(Directory.GetFiles(daemon.SpoolDir));
    }

    [RootFact]
    public async Task Del_returns_within_its_bound_when_the_sockets_backlog_is_full()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();
        CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));
        var stuck = Path.Combine(daemon.Root, "stuck.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(stuck));
        listener.Listen(1);
        var queued = FillBacklog(stuck);
        try
        {
            var (del, took) = TimedDel(network.Conf(c => (c["socket"], c["delTimeoutSeconds"]) = (stuck, DelTimeoutSeconds)), "c1", pod.Path);

            AssertSpooledInTime(del, took);
            Assert.Contains("backlog is full", del.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            queued.ForEach(s => s.Dispose());
        }

        daemon.Ask<ReclaimResponse>(new ReclaimRequest());
        Assert.All(await daemon.LeasesAsync(), l => Assert.Equal("held", l.State));
    }

    [RootFact]
    public async Task Del_returns_within_its_bound_while_another_plugin_holds_the_masquerade_lock()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();
        var conf = network.Conf(c => c["delTimeoutSeconds"] = DelTimeoutSeconds);
        CniRun.Exec("ADD", conf, "c1", pod.Path, args: CniRun.PodArgs("p"));
        using var holder = Process.Start(new ProcessStartInfo("flock", [Path.Combine(Path.GetDirectoryName(daemon.Socket)!, "masq", ".lock"), "sleep", "60"]))!;
        try
        {
            Assert.True(await Eventually.WaitForAsync(() => TestNetns.Run("flock", "-n", Path.Combine(Path.GetDirectoryName(daemon.Socket)!, "masq", ".lock"), "true").Code != 0));

            var (del, took) = TimedDel(conf, "c1", pod.Path);

            Assert.True(del.ExitCode == 0, del.ToString());
            Assert.Contains("could not lock the masquerade state", del.Stderr, StringComparison.Ordinal);
            Assert.True(took < TimeSpan.FromSeconds(DelTimeoutSeconds) + ProcessMargin, $"DEL took {took.TotalSeconds:0.00} s: {del}");
            Assert.All(await daemon.LeasesAsync(), l => Assert.Equal("held", l.State));
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }

    [RootFact]
    public async Task Del_without_any_daemon_installed_spools_at_once()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();
        CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));
        daemon.Stop();
        var conf = network.Conf(c => (c["socket"], c["delTimeoutSeconds"]) = (Path.Combine(daemon.Root, "never", "cni.sock"), DelTimeoutSeconds));

        var (del, took) = TimedDel(conf, "c1", pod.Path);

        AssertSpooledInTime(del, took);
        Assert.Contains("no socket at", del.Stderr, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(daemon.SpoolDir, "*" + SpooledRelease.FileSuffix));
    }

    private static void Signal(int pid, string signal) =>
        Assert.Equal(0, TestNetns.Run("kill", "-" + signal, pid.ToString(CultureInfo.InvariantCulture)).Code);

    /// <summary>Connects without blocking until the listener's backlog refuses more: every later connect would wait.</summary>
    private static List<Socket> FillBacklog(string path)
    {
        var queued = new List<Socket>();
        while (queued.Count < 64)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                queued.Add(socket);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain or SocketError.InProgress)
            {
                socket.Dispose();
                return queued;
            }
        }

        throw new InvalidOperationException($"{path}: 64 connections queued and the backlog still takes more");
    }
}
