using System.Globalization;
using System.Text.Json;
using Yurtnet.Protocol;

namespace Yurtnet.Ctl;

/// <summary>The operator's commands; each returns the process exit code.</summary>
internal sealed class CtlCommands(string socket, TextWriter stdout, TextWriter stderr)
{
    public static readonly TimeSpan ConnectBudget = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public int Status(bool json)
    {
        if (Ask<StatusResponse>(new StatusRequest()) is not { } status)
        {
            return 1;
        }

        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(status, CtlJsonContext.Default.StatusResponse));
            return status.Ready ? 0 : 3;
        }

        stdout.WriteLine($"yurtnetd {status.DaemonVersion}: {(status.Ready ? "ready" : $"NOT READY: {status.Reason}")}");
        stdout.WriteLine($"  started   {status.StartedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss} (up {Format(DateTimeOffset.UtcNow - status.StartedAt)})");
        stdout.WriteLine($"  state     {status.StatePath}");
        stdout.WriteLine($"  leases    {status.Active} active, {status.Pending} pending, {status.Held} held");
        stdout.WriteLine($"  spool     {status.Spooled} release(s) waiting");
        if (status.Health?.Cloud is not (null or "standalone"))
        {
            stdout.WriteLine($"  outbox    {status.Outbox} pod status annotation(s) waiting for the cloud");
        }
        if (status.PeersRouted + status.PeersNotRouted > 0)
        {
            stdout.WriteLine($"  peers     {status.PeersRouted} routed, {status.PeersNotRouted} not routed (yurtnetctl peers)");
        }

        foreach (var pool in status.Pools)
        {
            stdout.WriteLine($"  pool      {pool.Pool}: {pool.Used} used of {pool.Capacity}");
        }

        if (status.Health is { } health)
        {
            stdout.WriteLine($"  alive     {(health.Alive ? "yes" : "NO")}: {health.Liveness}");
            stdout.WriteLine($"  uplink    {(health.UplinkInterface is { } uplink ? $"{uplink}: " : "")}{health.Uplink}");
            stdout.WriteLine($"  cloud     {health.Cloud}{(health.CloudDetail is { } cloudDetail ? $": {cloudDetail}" : "")}");
            stdout.WriteLine($"  cni       {health.Cni}");
            stdout.WriteLine($"  store     {health.Store}");
            stdout.WriteLine($"  failures  {health.RecentFailures} failed ADD(s) in the last 10 min{(health.LastFailure is { } last ? $"; last: {last}" : "")}");
            stdout.WriteLine($"  watchdog  systemd: {health.SystemdWatchdog}; hardware: {health.HardwareWatchdog}");
        }

        foreach (var led in status.Leds)
        {
            stdout.WriteLine($"  led       {led.Name} ({led.Role}, {led.Backend}): {led.State}");
        }

        return status.Ready ? 0 : 3;
    }

    public int Leases(bool json)
    {
        if (Ask<LeasesResponse>(new LeasesRequest()) is not { } leases)
        {
            return 1;
        }

        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(leases.Leases, CtlJsonContext.Default.IReadOnlyListLeaseInfo));
            return 0;
        }

        if (leases.Leases.Count == 0)
        {
            stdout.WriteLine("no leases");
            return 0;
        }

        var now = DateTimeOffset.UtcNow;
        stdout.Write(TextTable.Render(
            ["IP", "STATE", "POD", "CONTAINER", "IF", "NETWORK", "SINCE", "HELD UNTIL"],
            leases.Leases.Select(l => (IReadOnlyList<string>)
            [
                l.Ip, l.State, l.Pod ?? "-", ShortContainerId(l.ContainerId), l.IfName, l.Network,
                Format(now - l.Since) + " ago", l.HeldUntil is { } until ? $"in {Format(until - now)}" : "-",
            ])));
        return 0;
    }

    /// <summary>A runtime's container id cut to 12 characters, as docker and crictl show it; a reservation's name whole.</summary>
    private static string ShortContainerId(string id) =>
        id.Length <= 12 || id.StartsWith("hostveth/", StringComparison.Ordinal) ? id : id[..12];

    public int Peers(bool json)
    {
        if (Ask<PeersResponse>(new PeersRequest()) is not { } peers)
        {
            return 1;
        }

        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(peers.Peers, CtlJsonContext.Default.IReadOnlyListPeerInfo));
            return 0;
        }

        if (!peers.Enabled)
        {
            stdout.WriteLine("the NodePool network is off (nodePool in /etc/yurtnet/yurtnetd.json)");
            return 0;
        }

        var now = DateTimeOffset.UtcNow;
        if (peers.Peers.Count == 0)
        {
            stdout.WriteLine("no peers");
            WriteLastSync(peers.LastSync, now);
            return 0;
        }

        stdout.Write(TextTable.Render(
            ["NODE", "POOL", "POD CIDRS", "ADDRESS", "MODE", "STATE", "SOURCE", "SINCE"],
            peers.Peers.Select(p => (IReadOnlyList<string>)
            [
                p.Node, p.Pool ?? "-", string.Join(",", p.PodCidrs), string.Join(",", p.Addresses), p.Mode, p.State, p.Source,
                p.Since == default ? "-" : Format(now - p.Since) + " ago",
            ])));
        WriteLastSync(peers.LastSync, now);
        return 0;
    }

    private void WriteLastSync(PeerSyncInfo? sync, DateTimeOffset now)
    {
        if (sync is not null)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"last sync: {sync.Why}, {Format(now - sync.At)} ago, took {sync.Milliseconds:0.0} ms, {sync.Changes} kernel change(s); {sync.Count} since start"));
            if (sync.Error is { } error)
            {
                stdout.WriteLine($"  the kernel was not brought in line: {error}");
            }
        }
    }

    /// <summary>Lights each configured LED alone, in turn, naming it on screen, so an installer can check the wiring.</summary>
    public int LedsTest()
    {
        if (Ask<StatusResponse>(new StatusRequest()) is not { } status)
        {
            return 1;
        }

        if (status.Leds.Count == 0)
        {
            stdout.WriteLine("no LEDs configured (leds in /etc/yurtnet/yurtnetd.json)");
            return 0;
        }

        var failed = 0;
        foreach (var led in status.Leds)
        {
            stdout.Write($"{led.Name} ({led.Role}): ");
            stdout.Flush();
            if (led.State.StartsWith("not available", StringComparison.Ordinal))
            {
                stdout.WriteLine(led.State);
                failed++;
                continue;
            }

            if (Ask<LedTestResponse>(new LedTestRequest { Name = led.Name, Milliseconds = 1500 }) is null)
            {
                failed++;
                continue;
            }

            stdout.WriteLine("lit for 1.5 s");
        }

        return failed == 0 ? 0 : 1;
    }

    public int Gc(bool json)
    {
        if (Ask<ReclaimResponse>(new ReclaimRequest()) is not { } reclaimed)
        {
            return 1;
        }

        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(reclaimed, CtlJsonContext.Default.ReclaimResponse));
        }
        else
        {
            stdout.WriteLine($"spooled releases applied: {reclaimed.SpoolDrained}; uncommitted leases reclaimed: {reclaimed.PendingReclaimed}; expired holds freed: {reclaimed.HoldsExpired}");
            stdout.WriteLine($"host repairs: {reclaimed.HostRepairs.Count}");
            foreach (var repair in reclaimed.HostRepairs)
            {
                stdout.WriteLine($"  {repair}");
            }

            if (reclaimed.Problem is { } problem)
            {
                stderr.WriteLine($"yurtnetctl: the spool and releases were not applied: {problem}");
            }
        }

        return reclaimed.Problem is null ? 0 : 1;
    }

    private T? Ask<T>(Request request) where T : Response
    {
        try
        {
            using var client = DaemonClient.Connect(socket, ConnectBudget);
            var response = client.Send(request with { Id = DaemonClient.NewRequestId() }, RequestTimeout);
            switch (response)
            {
                case T expected:
                    return expected;
                case ErrorResponse error:
                    stderr.WriteLine($"yurtnetctl: yurtnetd refused: {error.Error}: {error.Message}");
                    return null;
                default:
                    stderr.WriteLine($"yurtnetctl: unexpected answer {response.GetType().Name}");
                    return null;
            }
        }
        catch (DaemonUnreachableException ex)
        {
            stderr.WriteLine($"yurtnetctl: {ex.Message}");
            return null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or TimeoutException)
        {
            stderr.WriteLine($"yurtnetctl: talking to yurtnetd on {socket} failed: {ex.Message}");
            return null;
        }
    }

    internal static string Format(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalSeconds < 60 ? $"{(int)span.TotalSeconds}s"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
            : span.TotalHours < 48 ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
            : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d{span.Hours:00}h");
    }
}
