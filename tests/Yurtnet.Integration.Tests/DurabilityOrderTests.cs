using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// "An answer is sent only after the state it depends on is durable", checked on the real daemon's system calls:
/// for each answer, the last write to the state log comes before an fdatasync of that log, which comes before
/// the answer is sent on the socket.
/// </summary>
public sealed class DurabilityOrderTests
{
    [RootFact]
    public async Task Each_answer_is_sent_after_its_state_is_synced_to_disk()
    {
        await using var daemon = new DaemonProcess();
        var trace = Path.Combine(daemon.Root, "strace.txt");
        await daemon.StartTracedAsync(trace);
        using (var client = DaemonClient.Connect(daemon.Socket, TimeSpan.FromSeconds(5)))
        {
            Assert.IsType<AllocateResponse>(client.Send(new AllocateRequest { ContainerId = "c1", IfName = "eth0", Network = "n", Pod = new PodRef { Namespace = "a", Name = "b" }, Subnets = ["10.81.0.0/24"] }, TimeSpan.FromSeconds(30)));
            Assert.IsType<CommitResponse>(client.Send(new CommitRequest { ContainerId = "c1", IfName = "eth0", Network = "n" }, TimeSpan.FromSeconds(30)));
            Assert.IsType<ReleaseResponse>(client.Send(new ReleaseRequest { ContainerId = "c1", IfName = "eth0", Network = "n" }, TimeSpan.FromSeconds(30)));
        }

        daemon.StopTraced();
        var lines = File.ReadAllLines(trace);

        foreach (var kind in new[] { "allocated", "committed", "released" })
        {
            var answer = Array.FindIndex(lines, l => l.Contains("socket:[", StringComparison.Ordinal) && l.Contains($"\\\"kind\\\":\\\"{kind}\\\"", StringComparison.Ordinal));
            Assert.True(answer > 0, $"no {kind} answer in the trace:\n{string.Join('\n', lines.TakeLast(30))}");
            var sync = Array.FindLastIndex(lines, answer, l => l.Contains("fdatasync(", StringComparison.Ordinal) && l.Contains("state-log.db", StringComparison.Ordinal));
            var lastWrite = Array.FindLastIndex(lines, answer, l => l.Contains("pwrite64(", StringComparison.Ordinal) && l.Contains("state-log.db", StringComparison.Ordinal));
            Assert.True(lastWrite >= 0 && sync > lastWrite, $"{kind}: state-log write at line {lastWrite}, sync at {sync}, answer at {answer}");
        }
    }
}
