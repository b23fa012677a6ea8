using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.CniApi;

public sealed class CniSocketServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static AllocateRequest Allocate(string container, string pod = "web-0") => new()
    {
        ContainerId = container,
        IfName = "eth0",
        Network = "edge",
        Pod = new PodRef { Namespace = "shop", Name = pod },
        Subnets = ["10.22.0.0/24", "fd00:22::/64"],
    };

    private static async Task<Response> SendRawAsync(string socket, byte[] frame)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(socket));
        await using var stream = new NetworkStream(s);
        await stream.WriteAsync(frame);
        var answer = await FrameCodec.ReadAsync(stream, FrameCodec.DefaultMaxFrameBytes, CancellationToken.None);
        return JsonSerializer.Deserialize(answer, ProtocolJsonContext.Default.Response)!;
    }

    private static byte[] Frame(string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
        return frame;
    }

    [Fact]
    public async Task Allocate_commit_release_over_the_socket()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));

        var allocated = Assert.IsType<AllocateResponse>(client.Send(Allocate("c1") with { Id = "r1" }, Timeout));
        Assert.IsType<CommitResponse>(client.Send(new CommitRequest { ContainerId = "c1", IfName = "eth0", Network = "edge" }, Timeout));
        var released = Assert.IsType<ReleaseResponse>(client.Send(new ReleaseRequest { ContainerId = "c1", IfName = "eth0", Network = "edge" }, Timeout));

        Assert.Equal("r1", allocated.Id);
        Assert.Equal(["10.22.0.2/24", "fd00:22::2/64"], allocated.Addresses.Select(a => a.Address));
        Assert.Equal("10.22.0.1", allocated.Addresses[0].Gateway);
        Assert.Equal(2, released.Released);
        Assert.True(released.NetworkIdle);
    }

    [Fact]
    public async Task Socket_is_owner_only_in_an_owner_only_directory()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(daemon.Options.CniApi.Socket));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(daemon.Options.CniApi.Socket)!));
    }

    [Theory]
    [InlineData(ProtocolVersion.Current + 1)]
    [InlineData(ProtocolVersion.Oldest - 1)]
    public async Task Frame_of_a_version_not_spoken_gets_an_error_frame_in_the_newest_version_spoken(int version)
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();

        var answer = await SendRawAsync(daemon.Options.CniApi.Socket, Frame($"{{\"v\":{version},\"op\":\"leases\",\"id\":\"x\"}}"));

        var error = Assert.IsType<ErrorResponse>(answer);
        Assert.Equal(ErrorKind.UnsupportedVersion, error.Error);
        Assert.Equal(ProtocolVersion.Current, error.Version);
        Assert.Contains($"version {version}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plugin_of_the_previous_release_gets_its_pod_started_and_released_in_its_own_version()
    {
        // The frames yurtnet 0.1.0's plugin writes (protocol 1), byte for byte: the seconds of a downgrade between
        // dpkg's unpack of the old plugin and the restart of the daemon.
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        var socket = daemon.Options.CniApi.Socket;

        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(socket));
        await using var stream = new NetworkStream(s);
        async Task<Response> AskAsync(string json)
        {
            await stream.WriteAsync(Frame(json));
            return JsonSerializer.Deserialize(await FrameCodec.ReadAsync(stream, FrameCodec.DefaultMaxFrameBytes, CancellationToken.None), ProtocolJsonContext.Default.Response)!;
        }

        var allocated = await AskAsync("""{"v":1,"op":"allocate","id":"0a1b2c3d","containerId":"c-old","ifName":"eth0","network":"edge","netns":"/var/run/netns/cni-1","pod":{"namespace":"shop","name":"old-0","uid":"u-1"},"subnets":["10.22.0.0/24"],"requestedIps":[],"podAnnotationsPassed":false}""");
        var committed = await AskAsync("""{"v":1,"op":"commit","id":"0a1b2c3e","containerId":"c-old","ifName":"eth0","network":"edge","hostVeth":"yn0123456789ab","mac":"02:00:00:00:00:01"}""");
        var released = await AskAsync("""{"v":1,"op":"release","id":"0a1b2c3f","containerId":"c-old","ifName":"eth0","network":"edge"}""");

        Assert.Equal("10.22.0.2/24", Assert.Single(Assert.IsType<AllocateResponse>(allocated).Addresses).Address);
        Assert.IsType<CommitResponse>(committed);
        Assert.Equal(1, Assert.IsType<ReleaseResponse>(released).Released);
        Assert.All(new[] { allocated, committed, released }, r => Assert.Equal(1, r.Version));
    }

    [Fact]
    public async Task Oversized_frame_gets_an_error_frame_not_a_hang()
    {
        await using var daemon = new DaemonHarness(o => o with { CniApi = o.CniApi with { MaxFrameBytes = 1024 } });
        await daemon.StartAsync();
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, 1_000_000);

        var error = Assert.IsType<ErrorResponse>(await SendRawAsync(daemon.Options.CniApi.Socket, header));

        Assert.Equal(ErrorKind.InvalidRequest, error.Error);
        Assert.Contains("exceeds the limit of 1024", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_stalling_inside_a_frame_is_cut_off_at_the_request_deadline()
    {
        await using var daemon = new DaemonHarness(o => o with { CniApi = o.CniApi with { RequestTimeout = TimeSpan.FromMilliseconds(300), MaxConcurrentRequests = 1 } });
        await daemon.StartAsync();
        using var stalled = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await stalled.ConnectAsync(new UnixDomainSocketEndPoint(daemon.Options.CniApi.Socket));
        await stalled.SendAsync(Frame("{\"v\":1,\"op\":\"leases\"}")[..10]);

        var closed = await stalled.ReceiveAsync(new ArraySegment<byte>(new byte[16]), SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
        using var next = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        var answer = next.Send(new LeasesRequest(), Timeout);

        Assert.Equal(0, closed);
        Assert.IsType<LeasesResponse>(answer);
    }

    [Fact]
    public async Task Garbage_frame_gets_an_invalid_request_error()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();

        var error = Assert.IsType<ErrorResponse>(await SendRawAsync(daemon.Options.CniApi.Socket, Frame("{\"v\":1,\"op\":\"allocate\",\"containerId\":5}")));

        Assert.Equal(ErrorKind.InvalidRequest, error.Error);
    }

    [Fact]
    public async Task Peer_not_in_allowed_uids_is_refused()
    {
        await using var daemon = new DaemonHarness(o => o with { CniApi = o.CniApi with { AllowedUids = [4242] } });
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));

        var error = Assert.IsType<ErrorResponse>(client.Send(new LeasesRequest(), Timeout));

        Assert.Equal(ErrorKind.PermissionDenied, error.Error);
        Assert.Contains("allowedUids", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_allocations_get_unique_addresses()
    {
        await using var daemon = new DaemonHarness(o => o with { CniApi = o.CniApi with { MaxConcurrentRequests = 4 } });
        await daemon.StartAsync();

        // Blocking clients on threads of their own: on pool threads they would starve the in-process server,
        // which in production has a process (and thread pool) to itself.
        var answers = new Response?[64];
        var failures = new Exception?[64];
        var threads = Enumerable.Range(0, 64).Select(i => new Thread(() =>
        {
            try
            {
                using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(5));
                answers[i] = client.Send(Allocate($"c{i}", $"pod{i}"), Timeout);
            }
            catch (Exception ex)
            {
                failures[i] = ex;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        await Task.Run(() => threads.ForEach(t => t.Join()));

        Assert.All(failures, f => Assert.Null(f));

        var addresses = answers.Select(a => Assert.IsType<AllocateResponse>(a)).SelectMany(a => a.Addresses.Select(x => x.Address)).ToList();
        Assert.Equal(128, addresses.Count);
        Assert.Equal(128, addresses.Distinct().Count());
    }

    [Fact]
    public async Task Exhausted_pool_is_a_named_error()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        var small = Allocate("c0") with { Subnets = ["10.9.0.0/30"] };
        Assert.IsType<AllocateResponse>(client.Send(small, Timeout));

        var error = Assert.IsType<ErrorResponse>(client.Send(small with { ContainerId = "c1" }, Timeout));

        Assert.Equal(ErrorKind.PoolExhausted, error.Error);
        Assert.Contains("10.9.0.0/30", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allocation_without_a_pool_says_to_set_ipam_subnets()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));

        var error = Assert.IsType<ErrorResponse>(client.Send(Allocate("c0") with { Subnets = [] }, Timeout));

        Assert.Contains("ipam.subnets", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spooled_release_is_applied_before_the_socket_serves()
    {
        var dir = Directory.CreateTempSubdirectory("yurtnetd-spool-").FullName;
        try
        {
            await using (var first = new DaemonHarness(o => o with { State = o.State with { StateDir = Path.Combine(dir, "state") }, Reconcile = o.Reconcile with { SpoolDir = Path.Combine(dir, "spool") } }))
            {
                await first.StartAsync();
                using var client = DaemonClient.Connect(first.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
                client.Send(Allocate("c1"), Timeout);
                client.Send(new CommitRequest { ContainerId = "c1", IfName = "eth0", Network = "edge" }, Timeout);
            }

            Directory.CreateDirectory(Path.Combine(dir, "spool"));
            await File.WriteAllBytesAsync(Path.Combine(dir, "spool", SpooledRelease.FileNameFor("c1", "eth0")), JsonSerializer.SerializeToUtf8Bytes(
                new SpooledRelease { ContainerId = "c1", IfName = "eth0", Network = "edge", SpooledAt = DateTimeOffset.UtcNow }, ProtocolJsonContext.Default.SpooledRelease));

            await using var second = new DaemonHarness(o => o with { State = o.State with { StateDir = Path.Combine(dir, "state") }, Reconcile = o.Reconcile with { SpoolDir = Path.Combine(dir, "spool") } });
            await second.StartAsync();
            using var ctl = DaemonClient.Connect(second.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
            var leases = Assert.IsType<LeasesResponse>(ctl.Send(new LeasesRequest(), Timeout));

            Assert.All(leases.Leases, l => Assert.Equal("held", l.State));
            Assert.Empty(Directory.GetFiles(Path.Combine(dir, "spool")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Status_reports_ready_and_counts()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        client.Send(Allocate("c1"), Timeout);

        var status = Assert.IsType<StatusResponse>(client.Send(new StatusRequest { Subnets = ["10.22.0.0/24"] }, Timeout));

        Assert.True(status.Ready);
        Assert.Equal(2, status.Pending);
        Assert.Contains(status.Pools, p => p.Pool == "10.22.0.0/24" && p.Used == 1);
    }

    [Fact]
    public async Task Plugins_status_gets_readiness_alone_and_the_operators_the_counts_and_pools()
    {
        // containerd polls the plugin's STATUS every few seconds: it reads only whether ADD would work, and why not.
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        client.Send(Allocate("c1"), Timeout);

        var plugins = Assert.IsType<StatusResponse>(client.Send(new StatusRequest { Network = "edge", Subnets = ["10.22.0.0/24"] }, Timeout));
        var refused = Assert.IsType<StatusResponse>(client.Send(new StatusRequest { Network = "edge", Subnets = ["10.22.0.0/33"] }, Timeout));
        var operators = Assert.IsType<StatusResponse>(client.Send(new StatusRequest { Subnets = ["10.22.0.0/24"] }, Timeout));

        Assert.True(plugins.Ready);
        Assert.Equal(0, plugins.Pending);
        Assert.Empty(plugins.Pools);
        Assert.False(refused.Ready);
        Assert.StartsWith("ipam.subnets: ", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(2, operators.Pending);
        Assert.Contains(operators.Pools, p => p.Pool == "10.22.0.0/24" && p.Used == 1);
        Assert.NotNull(operators.Health);
    }

    [Fact]
    public async Task Idle_connections_hold_no_request_slot_that_a_real_request_needs()
    {
        await using var daemon = new DaemonHarness(o => o with { CniApi = o.CniApi with { MaxConcurrentRequests = 1 } });
        await daemon.StartAsync();
        using var idle = await RawClient.ConnectManyAsync(daemon.Options.CniApi.Socket, 50);
        Assert.True(await Eventually.WaitForAsync(() => daemon.Server.Connections == 50));
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(10));

        // Were the slot held by an idle connection, the answer would wait for the idle timeout (60 s); 20 s leaves room
        // for a loaded machine without letting that pass.
        Assert.IsType<LeasesResponse>(client.Send(new LeasesRequest(), TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Client_that_sends_nothing_is_cut_off_after_the_idle_timeout()
    {
        await using var daemon = new DaemonHarness(o => o with { CniApi = o.CniApi with { IdleTimeout = TimeSpan.FromSeconds(1) } });
        await daemon.StartAsync();
        using var silent = await RawClient.ConnectAsync(daemon.Options.CniApi.Socket);

        var closed = await silent.ReceiveAsync(new ArraySegment<byte>(new byte[16]), SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, closed);
        Assert.Equal(1, daemon.Server.CutOffs);
    }

    [Fact]
    public async Task Connection_over_the_limit_is_cut_off_at_once_and_the_others_are_served()
    {
        await using var daemon = new DaemonHarness(o => o with { CniApi = o.CniApi with { MaxConnections = 16 } });
        await daemon.StartAsync();
        using var held = await RawClient.ConnectManyAsync(daemon.Options.CniApi.Socket, 16);
        Assert.True(await Eventually.WaitForAsync(() => daemon.Server.Connections == 16));
        using var extra = await RawClient.ConnectAsync(daemon.Options.CniApi.Socket);
        var closed = await extra.ReceiveAsync(new ArraySegment<byte>(new byte[16]), SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
        held[0].Dispose();
        Assert.True(await Eventually.WaitForAsync(() => daemon.Server.Connections == 15));
        using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));

        Assert.Equal(0, closed);
        Assert.IsType<LeasesResponse>(client.Send(new LeasesRequest(), Timeout));
    }

    [Fact]
    public async Task Client_gone_between_allocate_and_commit_leaves_no_pending_lease_behind()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using (var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2)))
        {
            Assert.IsType<AllocateResponse>(client.Send(Allocate("c-killed"), Timeout));
            Assert.Equal(2, (await daemon.Keeper.SnapshotAsync(CancellationToken.None)).Count);
        }

        Assert.True(await Eventually.WaitForAsync(() => daemon.Keeper.SnapshotAsync(CancellationToken.None).Result.Count == 0));
        Assert.Equal(1, daemon.Health.Snapshot().RecentFailures);
    }

    [Fact]
    public async Task Allocate_resent_after_a_reconnect_gets_the_same_address_and_the_first_connection_dropping_after_the_commit_rolls_nothing_back()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using var first = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        var allocated = Assert.IsType<AllocateResponse>(first.Send(Allocate("c1"), Timeout));
        using var second = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        var again = Assert.IsType<AllocateResponse>(second.Send(Allocate("c1"), Timeout));
        Assert.IsType<CommitResponse>(second.Send(new CommitRequest { ContainerId = "c1", IfName = "eth0", Network = "edge" }, Timeout));

        first.Dispose();
        Assert.True(await Eventually.WaitForAsync(() => daemon.Server.Connections == 1));

        Assert.False(again.Existing);
        Assert.Equal(allocated.Addresses.Select(a => a.Address), again.Addresses.Select(a => a.Address));
        Assert.All(await daemon.Keeper.SnapshotAsync(CancellationToken.None), l => Assert.Equal("Active", l.State.ToString()));
    }

    [Fact]
    public async Task Connection_left_behind_does_not_roll_back_an_attempt_a_newer_connection_took_over()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        using var first = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        var allocated = Assert.IsType<AllocateResponse>(first.Send(Allocate("c1"), Timeout));
        using var second = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        var again = Assert.IsType<AllocateResponse>(second.Send(Allocate("c1"), Timeout));

        // The first plugin dies while the second still plumbs: the attempt is the second's now.
        first.Dispose();
        Assert.True(await Eventually.WaitForAsync(() => daemon.Server.Connections == 1));
        Assert.Equal(2, (await daemon.Keeper.SnapshotAsync(CancellationToken.None)).Count);

        Assert.IsType<CommitResponse>(second.Send(new CommitRequest { ContainerId = "c1", IfName = "eth0", Network = "edge" }, Timeout));
        Assert.Equal(allocated.Addresses.Select(a => a.Address), again.Addresses.Select(a => a.Address));
        Assert.All(await daemon.Keeper.SnapshotAsync(CancellationToken.None), l => Assert.Equal("Active", l.State.ToString()));
        Assert.Equal(0, daemon.Health.Snapshot().RecentFailures);
    }

    [Fact]
    public async Task Client_between_allocate_and_commit_when_yurtnetd_stops_keeps_its_pending_lease_for_the_next_yurtnetd()
    {
        await using var daemon = new DaemonHarness(o => o with { CniApi = o.CniApi with { RequestTimeout = TimeSpan.FromSeconds(1) } });
        await daemon.StartAsync();
        using var plugin = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
        Assert.IsType<AllocateResponse>(plugin.Send(Allocate("c1"), Timeout));

        // The plugin is still plumbing when the stop comes, and does not commit within the drain.
        await daemon.StopAsync();
        Assert.True(await Eventually.WaitForAsync(() => daemon.Server.Connections == 0));

        Assert.All(await daemon.Keeper.SnapshotAsync(CancellationToken.None), l => Assert.Equal(("c1", "Pending"), (l.ContainerId, l.State.ToString())));
        Assert.Equal(2, (await daemon.Keeper.SnapshotAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Frames_held_in_memory_stay_within_the_budget_when_a_thousand_clients_announce_the_largest_frame()
    {
        await using var daemon = new DaemonHarness(o => o with { CniApi = o.CniApi with { RequestTimeout = TimeSpan.FromSeconds(3) } });
        await daemon.StartAsync();
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, daemon.Options.CniApi.MaxFrameBytes);
        var flood = new List<Socket>();
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                var socket = await RawClient.ConnectAsync(daemon.Options.CniApi.Socket);
                await socket.SendAsync(header);
                flood.Add(socket);
            }

            Assert.True(await Eventually.WaitForAsync(() => daemon.Server.Connections == 1000));
            using var client = DaemonClient.Connect(daemon.Options.CniApi.Socket, TimeSpan.FromSeconds(2));
            var answered = client.Send(new LeasesRequest(), TimeSpan.FromSeconds(2));

            Assert.True(daemon.Server.Budget.Used <= daemon.Server.Budget.Capacity);
            Assert.IsType<LeasesResponse>(answered);
        }
        finally
        {
            flood.ForEach(s => s.Dispose());
        }

        Assert.True(await Eventually.WaitForAsync(() => daemon.Server.Budget.Used == 0 && daemon.Server.Connections == 0));
    }
}
