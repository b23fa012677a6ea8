// The structs keep their native (lower-case) names so they can be checked against <linux/netlink.h> and <linux/rtnetlink.h>.
#pragma warning disable CS8981
using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal const ushort NLM_F_REQUEST = 0x1;
    internal const ushort NLM_F_MULTI = 0x2;
    internal const ushort NLM_F_ACK = 0x4;
    internal const ushort NLM_F_DUMP = 0x300;
    internal const ushort NLM_F_DUMP_INTR = 0x10;
    internal const ushort NLM_F_REPLACE = 0x100;
    internal const ushort NLM_F_EXCL = 0x200;
    internal const ushort NLM_F_CREATE = 0x400;
    internal const ushort NLM_F_ACK_TLVS = 0x200;

    internal const ushort NLMSG_NOOP = 1;
    internal const ushort NLMSG_ERROR = 2;
    internal const ushort NLMSG_DONE = 3;
    internal const ushort NLMSGERR_ATTR_MSG = 1;

    internal const ushort RTM_NEWLINK = 16;
    internal const ushort RTM_DELLINK = 17;
    internal const ushort RTM_GETLINK = 18;
    internal const ushort RTM_SETLINK = 19;
    internal const ushort RTM_NEWADDR = 20;
    internal const ushort RTM_DELADDR = 21;
    internal const ushort RTM_GETADDR = 22;
    internal const ushort RTM_NEWROUTE = 24;
    internal const ushort RTM_DELROUTE = 25;
    internal const ushort RTM_GETROUTE = 26;
    internal const ushort RTM_NEWNEIGH = 28;
    internal const ushort RTM_DELNEIGH = 29;
    internal const ushort RTM_GETNEIGH = 30;

    internal const ushort NLA_F_NESTED = 0x8000;

    internal const ushort IFLA_ADDRESS = 1;
    internal const ushort IFLA_IFNAME = 3;
    internal const ushort IFLA_MTU = 4;
    internal const ushort IFLA_LINK = 5;
    internal const ushort IFLA_LINK_NETNSID = 37;
    internal const ushort IFLA_MASTER = 10;
    internal const ushort IFLA_PROTINFO = 12;
    internal const ushort IFLA_LINKINFO = 18;
    internal const ushort IFLA_NET_NS_FD = 28;
    internal const ushort IFLA_INFO_KIND = 1;
    internal const ushort IFLA_INFO_DATA = 2;
    internal const ushort VETH_INFO_PEER = 1;
    internal const ushort IFLA_BRPORT_MODE = 4;

    internal const ushort IFA_ADDRESS = 1;
    internal const ushort IFA_LOCAL = 2;
    internal const ushort IFA_BROADCAST = 4;
    internal const ushort IFA_FLAGS = 8;
    internal const ushort IFA_TARGET_NETNSID = 10;
    internal const uint IFA_F_NODAD = 0x02;

    internal const ushort RTA_DST = 1;
    internal const ushort RTA_OIF = 4;
    internal const ushort RTA_GATEWAY = 5;
    internal const ushort RTA_PREFSRC = 7;
    internal const ushort RTA_TABLE = 15;
    internal const uint RTNH_F_ONLINK = 4;

    internal const ushort NDA_DST = 1;
    internal const ushort NDA_LLADDR = 2;
    internal const ushort NUD_NOARP = 0x40;
    internal const ushort NUD_PERMANENT = 0x80;
    internal const byte NTF_SELF = 0x02;

    internal const ushort IFLA_VXLAN_ID = 1;
    internal const ushort IFLA_VXLAN_LINK = 3;
    internal const ushort IFLA_VXLAN_LOCAL = 4;
    internal const ushort IFLA_VXLAN_LEARNING = 7;
    internal const ushort IFLA_VXLAN_PORT = 15;
    internal const ushort IFLA_VXLAN_LOCAL6 = 17;

    internal const byte AF_UNSPEC = 0;
    internal const byte AF_INET = 2;
    internal const byte AF_BRIDGE = 7;
    internal const byte AF_INET6 = 10;

    internal const uint IFF_UP = 0x1;
    internal const uint IFF_LOWER_UP = 0x10000;
    internal const uint RTMGRP_LINK = 0x1;
    internal const byte RT_TABLE_MAIN = 254;
    internal const byte RTPROT_BOOT = 3;
    internal const byte RT_SCOPE_UNIVERSE = 0;
    internal const byte RT_SCOPE_LINK = 253;
    internal const byte RT_SCOPE_NOWHERE = 255;
    internal const byte RTN_UNICAST = 1;

    [StructLayout(LayoutKind.Sequential)]
    internal struct nlmsghdr
    {
        public uint nlmsg_len;
        public ushort nlmsg_type;
        public ushort nlmsg_flags;
        public uint nlmsg_seq;
        public uint nlmsg_pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ifinfomsg
    {
        public byte ifi_family;
        public byte ifi_pad;
        public ushort ifi_type;
        public int ifi_index;
        public uint ifi_flags;
        public uint ifi_change;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ifaddrmsg
    {
        public byte ifa_family;
        public byte ifa_prefixlen;
        public byte ifa_flags;
        public byte ifa_scope;
        public uint ifa_index;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct rtmsg
    {
        public byte rtm_family;
        public byte rtm_dst_len;
        public byte rtm_src_len;
        public byte rtm_tos;
        public byte rtm_table;
        public byte rtm_protocol;
        public byte rtm_scope;
        public byte rtm_type;
        public uint rtm_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ndmsg
    {
        public byte ndm_family;
        public byte ndm_pad1;
        public ushort ndm_pad2;
        public int ndm_ifindex;
        public ushort ndm_state;
        public byte ndm_flags;
        public byte ndm_type;
    }
}
