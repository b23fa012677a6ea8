using System.Text.Json;

namespace Yurtnet.Protocol.Tests;

/// <summary>The hand-written client codec and the daemon's generated context speak exactly the same format.</summary>
public sealed class ClientFrameJsonTests
{
    public static TheoryData<Request> Requests => new()
    {
        new AllocateRequest { Id = "1", ContainerId = "c", IfName = "eth0", Network = "n", Netns = "/run/netns/x", Pod = new PodRef { Namespace = "ns", Name = "p", Uid = "u" }, Subnets = ["10.0.0.0/24", "fd00::/64"] },
        new AllocateRequest { Id = "2", ContainerId = "c", IfName = "eth0", Network = "n", Subnets = [] },
        new AllocateRequest { Id = "2", ContainerId = "c", IfName = "eth0", Network = "n", Pod = new PodRef { Namespace = "local", Name = "web", Local = true }, Subnets = [], RequestedIps = ["10.0.0.5"], RequestedFrom = "CNI_ARGS IP" },
        new CommitRequest { Id = "3", ContainerId = "c", IfName = "eth0", Network = "n", HostVeth = "yn1", Mac = "02:00:00:00:00:01" },
        new CommitRequest { Id = "3", ContainerId = "c", IfName = "eth0", Network = "n", Host = new NetworkHost { Bridge = "yurt0", IsGateway = true, Mtu = 1450, IpMasq = true, MasqueradeSubnets = ["10.0.0.0/24", "fd00::/64"] } },
        new ReleaseRequest { Id = "4", ContainerId = "c", IfName = "eth0", Network = "n", Rollback = true },
        new CheckRequest { Id = "5", ContainerId = "c", IfName = "eth0", Network = "n" },
        new StatusRequest { Id = "6", Subnets = ["10.0.0.0/24"] },
        new GcRequest { Id = "7", Network = "n", ValidAttachments = [new AttachmentRef { ContainerId = "c", IfName = "eth0" }] },
        new LeasesRequest { Id = "8" },
        new ReclaimRequest { Id = "9" },
        new LedTestRequest { Id = "10", Name = "power", Milliseconds = 700 },
    };

    public static TheoryData<Response> Responses => new()
    {
        new ErrorResponse { Id = "1", Error = ErrorKind.PoolExhausted, Message = "full" },
        new AllocateResponse { Id = "2", Existing = true, Addresses = [new AllocatedAddress { Address = "10.0.0.2/24", Gateway = "10.0.0.1", Pool = "10.0.0.0/24" }] },
        new AllocateResponse { Id = "2", Mtu = 1450, Addresses = [new AllocatedAddress { Address = "10.0.0.2/24", Gateway = "10.0.0.1", Pool = "10.0.0.0/24" }] },
        new CommitResponse { Id = "3" },
        new ReleaseResponse { Id = "4", Released = 2, NetworkIdle = true },
        new CheckResponse { Id = "5", Active = true, Addresses = ["10.0.0.2/24"] },
        new StatusResponse { Id = "6", Ready = false, Reason = "why", DaemonVersion = "0.1.0", StartedAt = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero), StatePath = "/s", Pending = 1, Active = 2, Held = 3, Spooled = 4, Pools = [new PoolUsage { Pool = "10.0.0.0/24", Used = 5, Capacity = "253" }],
            Health = new HealthInfo { Uplink = "up", UplinkInterface = "eth0", Cloud = "standalone", Cni = "ready", Store = "ok", Liveness = "ready", Alive = true, RecentFailures = 2, LastFailure = "x", SystemdWatchdog = "off", HardwareWatchdog = "not configured" },
            Leds = [new LedInfo { Name = "power", Role = "power", Backend = "gpio", State = "on" }] },
        new GcResponse { Id = "7", Released = 3 },
        new LeasesResponse { Id = "8", Leases = [new LeaseInfo { Ip = "10.0.0.2", Pool = "10.0.0.0/24", Network = "n", State = "held", ContainerId = "c", IfName = "eth0", Pod = "ns/p", PodUid = "u", Since = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero), HeldUntil = new DateTimeOffset(2026, 11, 28, 10, 10, 0, TimeSpan.Zero) }] },
        new ReclaimResponse { Id = "9", PendingReclaimed = 1, HoldsExpired = 2, SpoolDrained = 3 },
        new ReclaimResponse { Id = "9", HostRepairs = ["network \"n\": bridge yurt0 was gone: made again"], PendingReclaimed = 0, HoldsExpired = 0, SpoolDrained = 0, Problem = "full" },
        new LedTestResponse { Id = "10", Name = "power" },
        new PeersResponse
        {
            Id = "11", Enabled = true,
            Peers = [new PeerInfo { Node = "gw-b", Pool = "shop", PodCidrs = ["10.201.2.0/24"], Addresses = ["192.168.77.12"], Mode = "hostgw", State = "routed", Source = "cluster", Since = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero) }],
            LastSync = new PeerSyncInfo { Why = "resync", At = new DateTimeOffset(2026, 11, 28, 10, 0, 5, TimeSpan.Zero), Milliseconds = 1.25, Changes = 2, Count = 7 },
        },
        new PeersResponse { Id = "12", Peers = [], LastSync = new PeerSyncInfo { Why = "start", Error = "operation not permitted" } },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Hand_encoded_request_reads_back_through_the_generated_context(Request request)
    {
        var decoded = JsonSerializer.Deserialize(ClientFrameJson.Encode(request), ProtocolJsonContext.Default.Request);

        Assert.Equal(Generated(request), Generated(decoded!));
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public void Generated_response_reads_back_through_the_hand_decoder(Response response)
    {
        var decoded = ClientFrameJson.Decode(JsonSerializer.SerializeToUtf8Bytes(response, ProtocolJsonContext.Default.Response));

        Assert.Equal(Generated(response), Generated(decoded));
    }

    [Fact]
    public void Hand_encoded_spool_record_is_what_the_daemons_context_writes_and_reads()
    {
        var release = new SpooledRelease { ContainerId = "c0ffee", IfName = "eth0", Network = "yurt-edge", SpooledAt = new DateTimeOffset(2026, 11, 30, 22, 5, 1, 123, TimeSpan.FromHours(8)) };

        var bytes = ClientFrameJson.Encode(release);

        Assert.Equal(release, JsonSerializer.Deserialize(bytes, ProtocolJsonContext.Default.SpooledRelease));
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(release, ProtocolJsonContext.Default.SpooledRelease), bytes);
    }

    [Fact]
    public void Hand_encoded_spool_record_with_characters_to_escape_reads_back_identically_through_the_daemons_context()
    {
        var release = new SpooledRelease { ContainerId = "c0ffee", IfName = "e\"t\\h<é\u2028", Network = "yurt-edge", SpooledAt = DateTimeOffset.UnixEpoch };

        Assert.Equal(release, JsonSerializer.Deserialize(ClientFrameJson.Encode(release), ProtocolJsonContext.Default.SpooledRelease));
    }

    [Fact]
    public void Unknown_response_kind_is_invalid_data()
    {
        Assert.Throws<InvalidDataException>(() => ClientFrameJson.Decode("""{"kind":"surprise","v":1}"""u8));
        Assert.Throws<InvalidDataException>(() => ClientFrameJson.Decode("""not json"""u8));
    }

    private static string Generated(Request r) => JsonSerializer.Serialize(r, ProtocolJsonContext.Default.Request);

    private static string Generated(Response r) => JsonSerializer.Serialize(r, ProtocolJsonContext.Default.Response);
}
