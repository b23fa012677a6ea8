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
}
