using System.Net.Sockets;
using Yurtnet.Daemon.CniApi;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Appliance;

/// <summary>
/// Liveness, separate from health: the main loop is ticking, and the socket accepts and answers a status request.
/// A watchdog is petted only while this holds, so a wedged daemon is restarted instead of being kept alive by a
/// timer that runs on regardless. Whether the answer says "ready" does not matter here: a daemon that cannot serve
/// ADD because its disk is full or its pools are unknown still runs, and a reset would not fix either (it would loop).
/// </summary>
internal sealed class Liveness(Reconciler reconciler, ReconcileOptions reconcile, CniApiOptions cniApi, TimeProvider time)
{
    /// <summary>How long the main loop may go without a pass before the daemon counts as wedged.</summary>
    public TimeSpan LoopGrace => (reconcile.ReconcileInterval * 3) + TimeSpan.FromSeconds(10);

    public async Task<LivenessReport> CheckAsync(TimeSpan probeTimeout, CancellationToken cancellationToken)
    {
        var sinceLoop = time.GetUtcNow() - reconciler.LastPass;
        if (sinceLoop > LoopGrace)
        {
            return new LivenessReport(false, $"wedged: main loop has not run for {sinceLoop.TotalSeconds:0} s");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(probeTimeout);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(cniApi.Socket), timeout.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await FrameCodec.WriteAsync(stream, ClientFrameJson.Encode(new StatusRequest { Id = "liveness" }), timeout.Token);
            var frame = await FrameCodec.ReadAsync(stream, cniApi.MaxFrameBytes, timeout.Token)
                ?? throw new IOException("the socket closed without answering");
            return ClientFrameJson.Decode(frame) switch
            {
                StatusResponse { Ready: true } s => new LivenessReport(true, $"ready: {s.Active} active, {s.Pending} pending, {s.Held} held lease(s); {s.Spooled} spooled release(s)"),
                StatusResponse s => new LivenessReport(true, $"running, not ready: {s.Reason}"),
                ErrorResponse e => new LivenessReport(false, $"self-check refused: {e.Message}"),
                var other => new LivenessReport(false, $"self-check answered {other.GetType().Name}"),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new LivenessReport(false, $"socket did not answer a self-check within {probeTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidDataException)
        {
            return new LivenessReport(false, $"socket self-check failed: {ex.Message}");
        }
    }
}
