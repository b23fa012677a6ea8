using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Yurtnet.Integration.Tests;

/// <summary>The real daemon under a thousand bad clients at once, while a runtime's plugin keeps starting and stopping pods.</summary>
[Trait("requirement", "root")]
public sealed class FloodTests(ITestOutputHelper output)
{
    /// <summary>yurtnetd's resident memory in kB: now and its high-water mark.</summary>
    private static (long Rss, long Peak) Memory(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        long Field(string name) => long.Parse(status.First(l => l.StartsWith(name, StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return (Field("VmRSS"), Field("VmHWM"));
    }

    [RootFact]
    public async Task A_thousand_idle_oversized_dribbling_and_stranger_clients_leave_pods_served_in_time_and_memory_bounded()
    {
        await using var daemon = await DaemonProcess.StartAsync(""", "requestTimeout": "2s", "idleTimeout": "20s" """);
        using var network = new TestNetwork(daemon, "v4");
        var before = Memory(daemon.ProcessId);
        var flood = new List<Socket>();
        var header = new byte[4];
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                var socket = await RawClient.ConnectAsync(daemon.Socket);
                switch (i % 4)
                {
                    case 0:
                        break; // connects and says nothing
                    case 1:
                        BinaryPrimitives.WriteInt32BigEndian(header, 256 * 1024); // announces the largest frame, sends none of it
                        await socket.SendAsync(header);
                        break;
                    case 2:
                        BinaryPrimitives.WriteInt32BigEndian(header, 64 * 1024 * 1024); // over the limit
                        await socket.SendAsync(header);
                        break;
                    default:
                        await socket.SendAsync(new byte[] { 0, 0, 1 }); // dribbles: three bytes of a header
                        break;
                }

                flood.Add(socket);
            }

            var slowest = TimeSpan.Zero;
            for (var i = 0; i < 10; i++)
            {
                using var pod = new TestNetns();
                var started = Stopwatch.GetTimestamp();
                var add = CniRun.Exec("ADD", network.Conf(), $"c{i}", pod.Path, args: CniRun.PodArgs($"p{i}"));
                var del = CniRun.Exec("DEL", network.Conf(), $"c{i}", pod.Path);
                slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, Stopwatch.GetElapsedTime(started).Ticks));
                Assert.True(add.ExitCode == 0, add.ToString());
                Assert.True(del.ExitCode == 0 && !del.Stderr.Contains("spooled", StringComparison.Ordinal), del.ToString());
            }

            var during = Memory(daemon.ProcessId);
            output.WriteLine($"yurtnetd VmRSS before {before.Rss} kB, under 1000 bad clients {during.Rss} kB, peak {during.Peak} kB; slowest ADD+DEL {slowest.TotalMilliseconds:0} ms");
            Assert.True(during.Peak < 200 * 1024, $"peak RSS {during.Peak} kB");
            var cutOffLines = daemon.Log.Split('\n').Count(l => l.Contains("cut off the client", StringComparison.Ordinal));
            output.WriteLine($"{cutOffLines} cut-off line(s) in the journal");
            Assert.InRange(cutOffLines, 1, 30);
        }
        finally
        {
            flood.ForEach(s => s.Dispose());
        }
    }
}
