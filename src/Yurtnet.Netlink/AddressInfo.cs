using System.Net;

namespace Yurtnet.Netlink;

/// <summary>An interface address as RTM_GETADDR reports it.</summary>
public sealed record AddressInfo(int InterfaceIndex, IPAddress Address, int PrefixLength)
{
    /// <summary>CIDR form, e.g. <c>10.22.0.5/16</c>.</summary>
    public override string ToString() => $"{Address}/{PrefixLength}";
}
