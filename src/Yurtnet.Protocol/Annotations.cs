using System.Net;

namespace Yurtnet.Protocol;

/// <summary>Pod annotations yurtnet reads (through the runtime's <c>io.kubernetes.cri.pod-annotations</c> capability).</summary>
public static class Annotations
{
    /// <summary>One IPv4 and/or one IPv6 address the pod asks for, comma separated.</summary>
    public const string RequestedIp = "yurtnet.openyurt.io/ip";

    /// <summary>What to write instead of a bad <see cref="RequestedIp"/> value.</summary>
    public const string RequestedIpHint = "set it to one IPv4 and/or one IPv6 address from the network's pools, comma separated, e.g. \"10.244.3.20,fd00:244:3::20\"";

    /// <summary>Reads a <see cref="RequestedIp"/> value: at most one IPv4 and one IPv6 address, no prefixes.</summary>
    public static bool TryParseRequestedIps(string text, out List<IPAddress> ips, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        ips = [];
        problem = null;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!AddressText.TryParse(part, out var ip, out var partProblem))
            {
                problem = partProblem;
                return false;
            }

            if (ips.Any(other => other.AddressFamily == ip.AddressFamily))
            {
                problem = "at most one IPv4 and one IPv6 address";
                return false;
            }

            ips.Add(ip);
        }

        return true;
    }
}
