using System.Net;

namespace Yurtnet.Cni;

internal sealed record ResultIp(IPAddress Address, int PrefixLength, IPAddress? Gateway, int? Interface)
{
    public string Cidr => $"{Address}/{PrefixLength}";
}
