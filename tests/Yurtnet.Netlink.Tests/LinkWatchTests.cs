namespace Yurtnet.Netlink.Tests;

[Trait("requirement", "root")]
public sealed class LinkWatchTests : IDisposable
{
    private readonly TestNetns _ns = new("ynw");

    private static LinkInfo? WaitFor(LinkWatch watch, Func<LinkInfo?, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (watch.TryWaitForChange(TimeSpan.FromMilliseconds(200), out var link) && condition(link))
            {
                return link;
            }
        }

        throw new TimeoutException("no matching link notification within 10 s");
    }

    [RootFact]
    public void Carrier_changes_and_deletion_arrive_as_notifications()
    {
        _ns.Exec("ip", "link", "add", "uplink0", "type", "veth", "peer", "name", "peer0");
        using var netns = NetworkNamespace.Open(_ns.Path);
        using var watch = netns.Run(() => LinkWatch.Open("uplink0"));
        Assert.False(watch.Current()!.HasCarrier);

        _ns.Exec("ip", "link", "set", "uplink0", "up");
        _ns.Exec("ip", "link", "set", "peer0", "up");
        Assert.True(WaitFor(watch, l => l?.HasCarrier == true)!.IsUp);

        _ns.Exec("ip", "link", "set", "peer0", "down");
        WaitFor(watch, l => l?.HasCarrier == false);

        _ns.Exec("ip", "link", "delete", "uplink0");
        Assert.Null(WaitFor(watch, l => l is null));
        Assert.Null(watch.Current());
    }

    [RootFact]
    public void Notifications_about_other_interfaces_are_ignored()
    {
        using var netns = NetworkNamespace.Open(_ns.Path);
        using var watch = netns.Run(() => LinkWatch.Open("uplink0"));

        _ns.Exec("ip", "link", "add", "other0", "type", "veth", "peer", "name", "other1");
        _ns.Exec("ip", "link", "add", "uplink0", "type", "veth", "peer", "name", "peer0");

        var first = WaitFor(watch, _ => true);

        Assert.Equal("uplink0", first!.Name);
    }

    public void Dispose() => _ns.Dispose();
}
