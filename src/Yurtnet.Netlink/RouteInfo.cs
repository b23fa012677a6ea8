using System.Globalization;
using System.Net;

namespace Yurtnet.Netlink;

/// <summary>A main-table route, as RTM_GETROUTE reports it or as <see cref="Rtnetlink.Apply"/> installs it.</summary>
public sealed record RouteInfo(IPNetwork Destination, IPAddress? Gateway, int OutputInterface) : IKernelEntry
{
    /// <summary>Who installed it (<c>rtm_protocol</c>): 3 boot (ip route), 4 static, or a daemon's own number.</summary>
    public byte Protocol { get; init; } = Rtnetlink.ProtocolBoot;

    /// <summary>The gateway is used even though no address of the output interface covers it (<c>onlink</c>).</summary>
    public bool OnLink { get; init; }

    /// <summary>The source address the kernel prefers for it (RTA_PREFSRC), when it says; only read, never installed.</summary>
    public IPAddress? PreferredSource { get; init; }

    /// <inheritdoc/>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"route {Destination}{(Gateway is null ? "" : $" via {Gateway}")} dev index {OutputInterface}{(OnLink ? " onlink" : "")} proto {Protocol}");

    /// <summary>Whether two routes are the same as installed (destination, gateway, interface, onlink, protocol).</summary>
    public bool SameAs(RouteInfo other) =>
        other is not null && Destination.Equals(other.Destination) && Equals(Gateway, other.Gateway)
        && OutputInterface == other.OutputInterface && OnLink == other.OnLink && Protocol == other.Protocol;
}
