// <linux/netfilter/nfnetlink.h> and <linux/netfilter/nf_tables.h>: the messages yurtnet reads. Names as in the headers.
#pragma warning disable CS8981
using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal const byte NFNL_SUBSYS_NFTABLES = 10;
    internal const byte NFT_MSG_GETCHAIN = 4;
    internal const byte NFPROTO_INET = 1;
    internal const byte NFNETLINK_V0 = 0;
    internal const ushort NFTA_CHAIN_TABLE = 1;
    internal const ushort NFTA_CHAIN_NAME = 3;
    internal const byte NFT_MSG_GETSET = 10;
    internal const ushort NFTA_SET_TABLE = 1;
    internal const ushort NFTA_SET_NAME = 2;
    internal const byte NFT_MSG_GETSETELEM = 13;
    internal const ushort NFTA_SET_ELEM_LIST_TABLE = 1;
    internal const ushort NFTA_SET_ELEM_LIST_SET = 2;
    internal const ushort NFTA_SET_ELEM_LIST_ELEMENTS = 3;

    [StructLayout(LayoutKind.Sequential)]
    internal struct nfgenmsg
    {
        public byte nfgen_family;
        public byte version;
        public ushort res_id;
    }
}
