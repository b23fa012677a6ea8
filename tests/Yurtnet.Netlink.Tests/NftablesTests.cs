namespace Yurtnet.Netlink.Tests;

[Trait("requirement", "root")]
public sealed class NftablesTests
{
    [RootFact]
    public void A_chain_is_found_while_it_exists_and_not_after_a_flush_of_its_table()
    {
        var table = $"yntest{Environment.ProcessId}";
        Assert.Equal(0, TestNetns.Run("nft", "add", "table", "inet", table).Code);
        try
        {
            Assert.Equal(0, TestNetns.Run("nft", "add", "chain", "inet", table, "masq", "{ type nat hook postrouting priority srcnat; policy accept; }").Code);

            Assert.True(Nftables.InetChainExists(table, "masq"));
            Assert.False(Nftables.InetChainExists(table, "other"));
            Assert.Equal(0, TestNetns.Run("nft", "delete", "table", "inet", table).Code);
            Assert.False(Nftables.InetChainExists(table, "masq"));
        }
        finally
        {
            _ = TestNetns.Run("nft", "delete", "table", "inet", table);
        }
    }

    [RootFact]
    public void A_set_is_seen_empty_when_made_again_and_filled_once_it_holds_an_element()
    {
        var table = $"yntest{Environment.ProcessId}s";
        const string Set = "{ type ipv4_addr; flags interval; auto-merge; }";
        try
        {
            Assert.Null(Nftables.InetSetHasElements(table, "nomasq4"));
            Assert.Equal(0, TestNetns.Run("nft", "add", "table", "inet", table).Code);
            Assert.Null(Nftables.InetSetHasElements(table, "nomasq4"));
            Assert.Equal(0, TestNetns.Run("nft", "add", "set", "inet", table, "nomasq4", Set).Code);
            Assert.False(Nftables.InetSetHasElements(table, "nomasq4"));

            Assert.Equal(0, TestNetns.Run("nft", "add", "element", "inet", table, "nomasq4", "{ 10.201.0.0/16, 10.96.0.0/12 }").Code);
            Assert.True(Nftables.InetSetHasElements(table, "nomasq4"));

            // What nft flush ruleset and a plugin's declaration do: the table goes, and comes back with an empty set.
            Assert.Equal(0, TestNetns.Run("nft", "delete", "table", "inet", table).Code);
            Assert.Equal(0, TestNetns.Run("nft", "add", "table", "inet", table).Code);
            Assert.Equal(0, TestNetns.Run("nft", "add", "set", "inet", table, "nomasq4", Set).Code);
            Assert.False(Nftables.InetSetHasElements(table, "nomasq4"));
        }
        finally
        {
            _ = TestNetns.Run("nft", "delete", "table", "inet", table);
        }
    }
}
