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
    public void A_set_made_again_under_the_same_name_is_another_set_also_in_a_table_made_again()
    {
        var table = $"yntest{Environment.ProcessId}s";
        const string Set = "{ type ipv4_addr; flags interval; }";
        try
        {
            Assert.Null(Nftables.InetSetIdentity(table, "nomasq4"));
            Assert.Equal(0, TestNetns.Run("nft", "add", "table", "inet", table).Code);
            Assert.Null(Nftables.InetSetIdentity(table, "nomasq4"));
            Assert.Equal(0, TestNetns.Run("nft", "add", "set", "inet", table, "nomasq4", Set).Code);
            var first = Nftables.InetSetIdentity(table, "nomasq4");

            Assert.NotNull(first);
            Assert.Equal(first, Nftables.InetSetIdentity(table, "nomasq4"));
            Assert.Equal(0, TestNetns.Run("nft", "delete", "set", "inet", table, "nomasq4").Code);
            Assert.Equal(0, TestNetns.Run("nft", "add", "set", "inet", table, "nomasq4", Set).Code);
            var again = Nftables.InetSetIdentity(table, "nomasq4");
            Assert.NotNull(again);
            Assert.NotEqual(first, again);

            // What nft flush ruleset and a plugin's declaration do: the table goes, and comes back with the set.
            Assert.Equal(0, TestNetns.Run("nft", "delete", "table", "inet", table).Code);
            Assert.Equal(0, TestNetns.Run("nft", "add", "table", "inet", table).Code);
            Assert.Equal(0, TestNetns.Run("nft", "add", "set", "inet", table, "nomasq4", Set).Code);
            var reborn = Nftables.InetSetIdentity(table, "nomasq4");
            Assert.NotNull(reborn);
            Assert.NotEqual(again, reborn);
        }
        finally
        {
            _ = TestNetns.Run("nft", "delete", "table", "inet", table);
        }
    }
}
