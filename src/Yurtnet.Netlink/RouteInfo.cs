using System.Net;

namespace Yurtnet.Netlink;

/// <summary>A main-table route as RTM_GETROUTE reports it.</summary>
public sealed record RouteInfo(IPNetwork Destination, IPAddress? Gateway, int OutputInterface);
