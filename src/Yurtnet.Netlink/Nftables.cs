using System.Text;

namespace Yurtnet.Netlink;

/// <summary>
/// What yurtnet asks nf_tables over netlink instead of exec'ing <c>nft</c>: a question that costs a round trip, not a
/// process. Changes to the rule set still go through <c>nft</c> (atomic scripts).
/// </summary>
public static class Nftables
{
    /// <summary>
    /// Whether the chain exists in the kernel now (an <c>nft flush ruleset</c> by a reload of nftables.service removes
    /// every table, whatever files say). Needs CAP_NET_ADMIN, as every nf_tables request does.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel refused the question (no nf_tables, no privilege).</exception>
    public static bool InetChainExists(string table, string chain)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ArgumentException.ThrowIfNullOrEmpty(chain);
        using var socket = NetlinkSocket.Open("host", groups: 0, Interop.NETLINK_NETFILTER);
        var w = socket.Writer;
        w.Begin((ushort)((Interop.NFNL_SUBSYS_NFTABLES << 8) | Interop.NFT_MSG_GETCHAIN), Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.nfgenmsg { nfgen_family = Interop.NFPROTO_INET, version = Interop.NFNETLINK_V0 });
        w.Attribute(Interop.NFTA_CHAIN_TABLE, NulTerminated(table));
        w.Attribute(Interop.NFTA_CHAIN_NAME, NulTerminated(chain));
        try
        {
            return socket.Query($"NFT_MSG_GETCHAIN inet {table} {chain}").Count > 0;
        }
        catch (NetlinkException ex) when (ex.IsNotFound)
        {
            return false;
        }
    }

    private static byte[] NulTerminated(string text) => [.. Encoding.UTF8.GetBytes(text), 0];
}
