namespace Yurtnet.Protocol;

/// <summary>Pod annotations yurtnet reads (through the runtime's <c>io.kubernetes.cri.pod-annotations</c> capability).</summary>
public static class Annotations
{
    /// <summary>One IPv4 and/or one IPv6 address the pod asks for, comma separated.</summary>
    public const string RequestedIp = "yurtnet.openyurt.io/ip";
}
