using System.Net;

namespace Yurtnet.Cni;

/// <summary>An ADD result, independent of the spec version it is printed in.</summary>
internal sealed record CniResult
{
    public List<ResultInterface> Interfaces { get; init; } = [];
    public List<ResultIp> Ips { get; init; } = [];
    public List<ResultRoute> Routes { get; init; } = [];

    /// <summary>The conflist's <c>dns</c> object, passed through verbatim.</summary>
    public string? DnsJson { get; init; }
}

internal sealed record ResultInterface(string Name, string? Mac, int? Mtu = null, string? Sandbox = null);

internal sealed record ResultIp(IPAddress Address, int PrefixLength, IPAddress? Gateway, int? Interface)
{
    public string Cidr => $"{Address}/{PrefixLength}";
}

internal sealed record ResultRoute(IPNetwork Destination, IPAddress? Gateway);
