using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.State;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.State;

public sealed class NetworkHostsTests : IDisposable
{
    private static readonly NetworkHost Shop = new() { Bridge = "yurt0", IsGateway = true, Mtu = 1450, IpMasq = true, MasqueradeSubnets = ["10.22.0.0/16", "fd00:22::/64"] };
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-hosts-").FullName;

    [Fact]
    public async Task A_networks_host_shape_survives_a_restart_so_the_repair_works_before_the_next_add()
    {
        using (var store = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System))
        using (var hosts = new NetworkHosts(store, NullLogger<NetworkHosts>.Instance))
        {
            await hosts.RecordAsync("shop", Shop, CancellationToken.None);
        }

        using var reopened = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System);
        using var remembered = new NetworkHosts(reopened, NullLogger<NetworkHosts>.Instance);
        var shape = Assert.Single(await remembered.AllAsync(CancellationToken.None));
        Assert.Equal("shop", shape.Key);
        Assert.Equal((Shop.Bridge, Shop.IsGateway, Shop.Mtu, Shop.IpMasq), (shape.Value.Bridge, shape.Value.IsGateway, shape.Value.Mtu, shape.Value.IpMasq));
        Assert.Equal(Shop.MasqueradeSubnets, shape.Value.MasqueradeSubnets);
    }

    [Fact]
    public async Task The_same_shape_reported_with_every_commit_is_written_once_and_a_changed_one_again()
    {
        using var store = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System);
        using var hosts = new NetworkHosts(store, NullLogger<NetworkHosts>.Instance);
        await hosts.RecordAsync("shop", Shop, CancellationToken.None);
        var afterFirst = store.Fsyncs;

        for (var i = 0; i < 5; i++)
        {
            await hosts.RecordAsync("shop", Shop with { MasqueradeSubnets = [.. Shop.MasqueradeSubnets] }, CancellationToken.None);
        }

        Assert.Equal(afterFirst, store.Fsyncs);
        await hosts.RecordAsync("shop", Shop with { Mtu = 1500 }, CancellationToken.None);
        Assert.True(store.Fsyncs > afterFirst);
        Assert.Equal(1500, (await hosts.AllAsync(CancellationToken.None))["shop"].Mtu);
    }

    [Theory]
    [InlineData("", 1500, "10.0.0.0/24", "bridge is empty")]
    [InlineData("a-bridge-name-too-long", 1500, "10.0.0.0/24", "longer than 15 bytes")]
    [InlineData("br/0", 1500, "10.0.0.0/24", "contains '/'")]
    [InlineData("yurt0", 20, "10.0.0.0/24", "mtu 20 is outside 68..65535")]
    [InlineData("yurt0", 1500, "10.0.0.0/33", "is not a CIDR")]
    public async Task A_shape_a_repair_could_not_use_safely_is_not_kept(string bridge, int mtu, string subnet, string problem)
    {
        var shape = new NetworkHost { Bridge = bridge, Mtu = mtu, IpMasq = true, MasqueradeSubnets = [subnet] };
        using var store = StateStore.Open(_dir, NullLogger.Instance, TimeProvider.System);
        using var hosts = new NetworkHosts(store, NullLogger<NetworkHosts>.Instance);

        await hosts.RecordAsync("shop", shape, CancellationToken.None);

        Assert.Contains(problem, NetworkHosts.Problem(shape), StringComparison.Ordinal);
        Assert.Empty(await hosts.AllAsync(CancellationToken.None));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
