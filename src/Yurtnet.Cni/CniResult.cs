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
