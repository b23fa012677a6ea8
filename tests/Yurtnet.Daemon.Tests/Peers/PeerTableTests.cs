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

    /// <summary>
    /// Any interleaving of lists (cached or online), events, bookmarks and cloud changes: a peer is only ever withdrawn
    /// by a DELETED event for it, or by the confirmation of an online list that lacked it, with no cloud change and no
    /// event for it in between.
    /// </summary>
    [Fact]
    public void Every_withdrawal_in_any_interleaving_is_backed_by_live_evidence()
    {
        var random = new Random(7);
        var names = new[] { "gw-b", "gw-c", "gw-d", "gw-e" };
        Peer Make(string name) => P(name, $"10.22.{Array.IndexOf(names, name) + 2}.0/24", $"192.168.1.{Array.IndexOf(names, name) + 2}");
        var withdrawals = 0;
        for (var round = 0; round < 500; round++)
        {
            var table = Stored(names.Select(Make).ToArray());
            HashSet<string>? evidence = null; // what the last online, not yet invalidated list held, plus what events showed since
            for (var step = 0; step < 30; step++)
            {
                var name = names[random.Next(names.Length)];
                PeerTableChange change;
                IReadOnlySet<string> allowed;
                switch (random.Next(6))
                {
                    case 0:
                        var online = random.Next(2) == 0;
                        var listed = names.Where(_ => random.Next(2) == 0).ToList();
                        change = table.Listed(listed.Select(Make).ToList(), online, T0);
                        evidence = online ? listed.ToHashSet() : null;
                        allowed = new HashSet<string>();
                        break;
                    case 1:
                        change = table.Confirm();
                        allowed = Unlisted(evidence);
                        evidence = null;
                        break;
                    case 2:
                        evidence?.Add(name);
                        change = table.Seen(Make(name), T0);
                        allowed = Unlisted(evidence);
                        evidence = null;
                        break;
                    case 3:
                        evidence?.Remove(name);
                        change = table.Gone(name);
                        allowed = new HashSet<string>(Unlisted(evidence)) { name };
                        evidence = null;
                        break;
                    default:
                        table.Invalidate();
                        evidence = null;
                        change = PeerTableChange.None;
                        allowed = new HashSet<string>();
                        break;
                }

                Assert.All(change.Removals, removed => Assert.Contains(removed, allowed));
                withdrawals += change.Removals.Count;
            }
        }

        Assert.True(withdrawals > 100, "the interleavings withdrew almost nothing: the test would not notice a rule that withdraws too much");

        IReadOnlySet<string> Unlisted(HashSet<string>? evidence) => evidence is null ? new HashSet<string>() : names.Where(n => !evidence.Contains(n)).ToHashSet();
    }
}
