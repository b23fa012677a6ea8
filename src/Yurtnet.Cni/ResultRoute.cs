using System.Net;

namespace Yurtnet.Cni;

internal sealed record ResultRoute(IPNetwork Destination, IPAddress? Gateway);
