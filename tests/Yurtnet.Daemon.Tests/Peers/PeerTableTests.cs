using Yurtnet.Daemon.Peers;
using static Yurtnet.Daemon.Tests.Peers.PeerAdmissionTests;

namespace Yurtnet.Daemon.Tests.Peers;

/// <summary>The rule that a peer is withdrawn only on the live API server's word, never on a cached or unconfirmed list.</summary>
public sealed class PeerTableTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private static readonly Peer B = P("gw-b", "10.22.2.0/24", "192.168.1.2") with { Pool = "shop" };
    private static readonly Peer C = P("gw-c", "10.22.3.0/24", "192.168.1.3") with { Pool = "shop" };

    private static PeerTable Stored(params Peer[] peers) => new(peers.Select(p => p with { Since = T0 }));

    [Fact]
    public void Offline_list_without_a_stored_peer_withdraws_nothing_even_after_a_bookmark()
    {
        var table = Stored(B, C);

        var listed = table.Listed([B], online: false, T0.AddHours(1));
        var confirmed = table.Confirm();

        Assert.True(listed.IsEmpty);
        Assert.True(confirmed.IsEmpty);
        Assert.Equal(["gw-b", "gw-c"], table.Peers.Select(p => p.Name));
    }

    [Fact]
    public void Online_list_without_a_peer_withdraws_it_only_once_the_watch_confirms_the_server_live()
    {
        var table = Stored(B, C);

        var listed = table.Listed([B], online: true, T0.AddHours(1));
        Assert.Empty(listed.Removals);
        Assert.Equal(2, table.Peers.Count);

        var confirmed = table.Confirm();
        Assert.Equal(["gw-c"], confirmed.Removals);
        Assert.Equal(["gw-b"], table.Peers.Select(p => p.Name));
    }

    [Fact]
    public void Online_list_is_no_evidence_when_the_cloud_state_changes_before_the_confirmation()
    {
        var table = Stored(B, C);

        table.Listed([B], online: true, T0.AddHours(1));
        table.Invalidate();

        Assert.True(table.Confirm().IsEmpty);
        Assert.Equal(2, table.Peers.Count);
    }

    [Fact]
    public void Peer_added_by_an_event_between_list_and_confirmation_is_kept()
    {
        var table = Stored(B);

        table.Listed([B], online: true, T0.AddHours(1));
        var seen = table.Seen(C, T0.AddHours(2));

        Assert.Equal(["gw-c"], seen.Upserts.Select(p => p.Name));
        Assert.Empty(seen.Removals);
        Assert.Equal(["gw-b", "gw-c"], table.Peers.Select(p => p.Name));
    }

    [Fact]
    public void Cached_list_adds_and_updates_peers()
    {
        var table = Stored(B);
        var moved = B with { Addresses = [System.Net.IPAddress.Parse("192.168.1.22")] };

        var change = table.Listed([moved, C], online: false, T0.AddHours(1));

        Assert.Equal(["gw-b", "gw-c"], change.Upserts.Select(p => p.Name));
        Assert.Equal("192.168.1.22", table.Peers[0].Addresses[0].ToString());
    }

    [Fact]
    public void Deleted_event_withdraws_at_once_and_unknown_names_change_nothing()
    {
        var table = Stored(B, C);

        Assert.Equal(["gw-c"], table.Gone("gw-c").Removals);
        Assert.True(table.Gone("gw-x").IsEmpty);
        Assert.Equal(["gw-b"], table.Peers.Select(p => p.Name));
    }

    [Fact]
    public void Changed_pod_cidr_is_an_update_with_a_new_since_and_an_unchanged_peer_is_no_change()
    {
        var table = Stored(B);

        Assert.True(table.Seen(B, T0.AddHours(1)).IsEmpty);
        var renumbered = B with { PodCidrs = [System.Net.IPNetwork.Parse("10.22.9.0/24")] };
        var change = table.Seen(renumbered, T0.AddHours(2));

        var updated = Assert.Single(change.Upserts);
        Assert.Equal("10.22.9.0/24", updated.PodCidrs[0].ToString());
        Assert.Equal(T0.AddHours(2), updated.Since);
    }

    [Fact]
    public void Pool_change_of_a_peer_keeps_its_since()
    {
        var table = Stored(B);

        var change = table.Seen(B with { Pool = "shop-2" }, T0.AddHours(1));

        Assert.Equal(("shop-2", T0), (Assert.Single(change.Upserts).Pool, table.Peers[0].Since));
    }

    /// <summary>Any interleaving of offline lists, bookmarks and cloud changes, with no live event and no online list, never withdraws a peer.</summary>
    [Fact]
    public void No_sequence_of_cached_lists_bookmarks_and_invalidations_withdraws_a_stored_peer()
    {
        var random = new Random(7);
        for (var round = 0; round < 500; round++)
        {
            var table = Stored(B, C);
            for (var step = 0; step < 20; step++)
            {
                var change = random.Next(3) switch
                {
                    0 => table.Listed(random.Next(2) == 0 ? [] : [B], online: false, T0),
                    1 => table.Confirm(),
                    _ => Invalidated(table),
                };
                Assert.Empty(change.Removals);
            }

            Assert.Equal(2, table.Peers.Count);
        }

        static PeerTableChange Invalidated(PeerTable table)
        {
            table.Invalidate();
            return PeerTableChange.None;
        }
    }
}
