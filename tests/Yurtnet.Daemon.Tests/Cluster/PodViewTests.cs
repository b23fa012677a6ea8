using Yurtnet.Daemon.Cluster;

namespace Yurtnet.Daemon.Tests.Cluster;

public sealed class PodViewTests
{
    private static readonly PodFacts Till = new("shop/till", "u1", null, null);

    [Fact]
    public void List_from_yurthubs_cache_is_never_fresh_even_when_events_follow()
    {
        var view = new PodView();
        view.Replace([Till], cloudOnline: false);
        view.Confirm();
        view.Apply(deleted: false, Till with { Uid = "u2" });

        Assert.False(view.Fresh);
    }

    [Fact]
    public void Live_list_is_fresh_only_once_the_watch_continuing_it_speaks()
    {
        var view = new PodView();
        view.Replace([Till], cloudOnline: true);
        Assert.False(view.Fresh);

        view.Confirm();
        Assert.True(view.Fresh);
    }

    [Fact]
    public void Cloud_transition_unconfirms_the_view_until_the_server_speaks_again()
    {
        var view = new PodView();
        view.Replace([Till], cloudOnline: true);
        view.Confirm();

        view.Invalidate();
        Assert.False(view.Fresh);
        view.Apply(deleted: true, Till);
        Assert.True(view.Fresh);
        Assert.False(view.TryGet("shop/till", out _));
    }

    [Fact]
    public void Every_change_is_announced_and_a_repeated_bookmark_is_not()
    {
        var view = new PodView();
        var changes = 0;
        view.Changed += () => changes++;

        view.Replace([Till], cloudOnline: true);
        view.Confirm();
        view.Confirm();
        view.Apply(deleted: false, Till);

        Assert.Equal(3, changes);
    }
}
