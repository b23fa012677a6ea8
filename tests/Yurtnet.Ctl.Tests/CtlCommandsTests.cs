using System.Net.Sockets;
using System.Text.Json;
using Yurtnet.Protocol;

namespace Yurtnet.Ctl.Tests;

public sealed class CtlCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnetctl-").FullName;

    private string Socket => Path.Combine(_dir, "cni.sock");

    /// <summary>Answers one request with <paramref name="answer"/> on a real Unix socket.</summary>
    private async Task<Request> ServeOnceAsync(Response answer, Func<CtlCommands, int> act, Action<int> checkExit)
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Socket));
        listener.Listen();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptAsync();
            await using var stream = new NetworkStream(client);
            var request = JsonSerializer.Deserialize((await FrameCodec.ReadAsync(stream, 65536, CancellationToken.None))!, ProtocolJsonContext.Default.Request)!;
            await FrameCodec.WriteAsync(stream, JsonSerializer.SerializeToUtf8Bytes(answer with { Id = request.Id }, ProtocolJsonContext.Default.Response), CancellationToken.None);
            return request;
        });
        checkExit(await Task.Run(() => act(new CtlCommands(Socket, Out, Err))));
        return await server;
    }

    private StringWriter Out { get; } = new();
    private StringWriter Err { get; } = new();

    [Fact]
    public async Task Leases_prints_a_table_with_one_row_per_lease()
    {
        var lease = new LeaseInfo { Ip = "10.22.0.5", Pool = "10.22.0.0/24", Network = "edge", State = "held", ContainerId = "0123456789abcdef0123", IfName = "eth0", Pod = "shop/till-0", Since = DateTimeOffset.UtcNow.AddMinutes(-3), HeldUntil = DateTimeOffset.UtcNow.AddMinutes(7) };

        var request = await ServeOnceAsync(new LeasesResponse { Leases = [lease] }, c => c.Leases(json: false), code => Assert.Equal(0, code));

        Assert.IsType<LeasesRequest>(request);
        var lines = Out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("IP", lines[0], StringComparison.Ordinal);
        Assert.Contains("10.22.0.5", lines[1], StringComparison.Ordinal);
        Assert.Contains("shop/till-0", lines[1], StringComparison.Ordinal);
        Assert.Contains("0123456789ab ", lines[1], StringComparison.Ordinal);
        Assert.Contains("in 6m", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leases_json_is_machine_readable()
    {
        var lease = new LeaseInfo { Ip = "fd00::5", Pool = "fd00::/64", Network = "edge", State = "active", ContainerId = "c", IfName = "eth0", Since = DateTimeOffset.UtcNow };

        await ServeOnceAsync(new LeasesResponse { Leases = [lease] }, c => c.Leases(json: true), code => Assert.Equal(0, code));

        using var doc = JsonDocument.Parse(Out.ToString());
        Assert.Equal("fd00::5", doc.RootElement[0].GetProperty("ip").GetString());
    }

    [Fact]
    public async Task Status_not_ready_exits_3_with_the_reason()
    {
        await ServeOnceAsync(new StatusResponse { Ready = false, Reason = "state database is not writable" }, c => c.Status(json: false), code => Assert.Equal(3, code));

        Assert.Contains("NOT READY: state database is not writable", Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_shows_every_health_input()
    {
        var health = new HealthInfo { Uplink = "down", UplinkInterface = "eth1", Cloud = "standalone", Store = "ok", Liveness = "ready: 1 active", Alive = true, RecentFailures = 1, LastFailure = "ADD refused: no free address", SystemdWatchdog = "keep-alive every 15 s", HardwareWatchdog = "/dev/watchdog armed: 30 s granted" };

        await ServeOnceAsync(new StatusResponse { Ready = true, Health = health }, c => c.Status(json: false), code => Assert.Equal(0, code));

        var text = Out.ToString();
        Assert.Contains("uplink    eth1: down", text, StringComparison.Ordinal);
        Assert.Contains("cloud     standalone", text, StringComparison.Ordinal);
        Assert.Contains("failures  1 failed ADD(s) in the last 10 min; last: ADD refused: no free address", text, StringComparison.Ordinal);
        Assert.Contains("watchdog  systemd: keep-alive every 15 s; hardware: /dev/watchdog armed: 30 s granted", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_lists_each_led_with_its_state()
    {
        await ServeOnceAsync(new StatusResponse { Ready = true, Leds = [new LedInfo { Name = "power", Role = "power", Backend = "gpio", State = "on" }, new LedInfo { Name = "fault", Role = "fault", Backend = "gpio", State = "not available: GPIO chip \"0\" line 4: no such chip" }] }, c => c.Status(json: false), code => Assert.Equal(0, code));

        Assert.Contains("led       power (power, gpio): on", Out.ToString(), StringComparison.Ordinal);
        Assert.Contains("led       fault (fault, gpio): not available: GPIO chip", Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gc_reports_what_was_reclaimed()
    {
        var request = await ServeOnceAsync(new ReclaimResponse { PendingReclaimed = 2, HoldsExpired = 1, SpoolDrained = 3 }, c => c.Gc(json: false), code => Assert.Equal(0, code));

        Assert.IsType<ReclaimRequest>(request);
        Assert.Contains("spooled releases applied: 3", Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Unreachable_daemon_exits_1_and_says_so()
    {
        var code = new CtlCommands(Socket, Out, Err).Status(json: false);

        Assert.Equal(1, code);
        Assert.Contains("yurtnetd is not running", Err.ToString(), StringComparison.Ordinal);
        Assert.Contains($"no socket at {Socket}", Err.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5, "5s")]
    [InlineData(125, "2m05s")]
    [InlineData(7200, "2h00m")]
    [InlineData(200000, "2d07h")]
    public void Durations_read_like_kubectl_ages(int seconds, string expected)
    {
        Assert.Equal(expected, CtlCommands.Format(TimeSpan.FromSeconds(seconds)));
    }

    public void Dispose()
    {
        Out.Dispose();
        Err.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
