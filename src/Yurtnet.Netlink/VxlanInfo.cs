using System.Net;

namespace Yurtnet.Netlink;

/// <summary>The settings of a VXLAN device that matter to a tunnel: VNI, UDP port, learning, local endpoint.</summary>
public sealed record VxlanInfo(uint Vni, int Port, bool Learning, IPAddress? Local);
