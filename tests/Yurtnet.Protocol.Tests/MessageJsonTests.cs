using System.Text;
using System.Text.Json;

namespace Yurtnet.Protocol.Tests;

public sealed class MessageJsonTests
{
    [Fact]
    public void Request_carries_version_id_and_operation()
    {
        var json = JsonSerializer.Serialize<Request>(new ReleaseRequest { Id = "ab12", ContainerId = "c1", IfName = "eth0", Network = "n" }, ProtocolJsonContext.Default.Request);

        using var doc = JsonDocument.Parse(json);
        Assert.Equal("release", doc.RootElement.GetProperty("op").GetString());
        Assert.Equal(ProtocolVersion.Current, doc.RootElement.GetProperty("v").GetInt32());
        Assert.Equal("ab12", doc.RootElement.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("""{"v":1,"op":"allocate","id":"a","containerId":"c","ifName":"eth0","network":"n","subnets":["10.22.0.0/24"]}""")]
    [InlineData("""{"v":1,"op":"status","id":"a"}""")]
    [InlineData("""{"v":1,"op":"commit","id":"a","containerId":"c","ifName":"eth0","network":"n","host":{"bridge":"yurt0"}}""")]
    public void Request_from_a_client_that_leaves_out_optional_lists_reads_them_as_empty(string frame)
    {
        // A client of another release leaves out the members it does not know (ProtocolVersion): an absent list is
        // an empty one, never null (the daemon once failed such an ADD with a NullReferenceException).
        var request = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(frame), ProtocolJsonContext.Default.Request);

        switch (request)
        {
            case AllocateRequest allocate:
                Assert.Empty(allocate.RequestedIps);
                break;
            case StatusRequest status:
                Assert.Empty(status.Subnets);
                break;
            case CommitRequest commit:
                Assert.Empty(commit.Host!.MasqueradeSubnets);
                break;
            default:
                Assert.Fail($"read as {request?.GetType().Name}");
                break;
        }
    }

    [Theory]
    [InlineData("""{"v":1,"kind":"status","id":"a","ready":true}""")]
    [InlineData("""{"v":1,"kind":"checked","id":"a","active":true}""")]
    [InlineData("""{"v":1,"kind":"reclaimed","id":"a","pendingReclaimed":0,"holdsExpired":0,"spoolDrained":0}""")]
    public void Response_from_a_daemon_that_leaves_out_optional_lists_reads_them_as_empty(string frame)
    {
        var response = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(frame), ProtocolJsonContext.Default.Response);

        switch (response)
        {
            case StatusResponse status:
                Assert.Empty(status.Pools);
                Assert.Empty(status.Leds);
                break;
            case CheckResponse check:
                Assert.Empty(check.Addresses);
                break;
            case ReclaimResponse reclaim:
                Assert.Empty(reclaim.HostRepairs);
                break;
            default:
                Assert.Fail($"read as {response?.GetType().Name}");
                break;
        }
    }

    [Fact]
    public void Allocate_request_round_trips_with_its_pod()
    {
        Request sent = new AllocateRequest
        {
            Id = "1",
            ContainerId = "c1",
            IfName = "eth0",
            Network = "edge",
            Netns = "/run/netns/x",
            Pod = new PodRef { Namespace = "ns", Name = "web-0", Uid = "u-1" },
            Subnets = ["10.22.0.0/16", "fd00:22::/64"],
        };

        var back = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(sent, ProtocolJsonContext.Default.Request), ProtocolJsonContext.Default.Request);

        var allocate = Assert.IsType<AllocateRequest>(back);
        Assert.Equal("ns/web-0", allocate.Pod!.Key);
        Assert.Equal(["10.22.0.0/16", "fd00:22::/64"], allocate.Subnets);
        Assert.Equal("c1", allocate.SerializationKey);
    }

    [Fact]
    public void Operation_member_may_come_after_other_members()
    {
        var json = Encoding.UTF8.GetBytes("{\"v\":1,\"id\":\"x\",\"op\":\"leases\"}");

        Assert.IsType<LeasesRequest>(JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.Request));
    }

    [Fact]
    public void Unknown_operation_fails_to_deserialize_instead_of_guessing()
    {
        var json = Encoding.UTF8.GetBytes("{\"v\":1,\"op\":\"format-disk\"}");

        Assert.ThrowsAny<Exception>(() => JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.Request));
    }

    [Fact]
    public void Error_response_round_trips_its_kind_as_text()
    {
        Response sent = new ErrorResponse { Id = "9", Error = ErrorKind.PoolExhausted, Message = "no free address" };

        var json = JsonSerializer.Serialize(sent, ProtocolJsonContext.Default.Response);
        var back = Assert.IsType<ErrorResponse>(JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.Response));

        Assert.Contains("\"error\":\"PoolExhausted\"", json, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.PoolExhausted, back.Error);
    }

    [Fact]
    public void Unknown_members_are_ignored_so_optional_additions_need_no_version_bump()
    {
        var json = Encoding.UTF8.GetBytes("{\"kind\":\"committed\",\"v\":1,\"id\":\"1\",\"addedLater\":42}");

        Assert.IsType<CommitResponse>(JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.Response));
    }
}
