using System.Net;
using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>The plugin's configuration (one entry of a conflist, as the runtime passes it on stdin).</summary>
internal sealed record NetConf
{
    public const string DefaultBridge = "yurt0";
    public const string DefaultSocket = "/run/yurtnet/cni.sock";
    public const string DefaultSpoolDir = "/var/lib/yurtnet/spool";

    public const string DefaultLocalPodNamespace = "local";
    public const int DefaultMtu = 1500;
    public static readonly TimeSpan DefaultDelTimeout = TimeSpan.FromSeconds(5);

    public required string CniVersion { get; init; }
    public required string Name { get; init; }
    public string Bridge { get; init; } = DefaultBridge;

    /// <summary>The <c>mtu</c> the conflist sets; null leaves it to yurtnetd's hint (see <see cref="PodMtu"/>).</summary>
    public int? Mtu { get; init; }
    public bool HairpinMode { get; init; }
    public bool IsGateway { get; init; } = true;
    public bool IsDefaultGateway { get; init; } = true;
    public bool IpMasq { get; init; } = true;
    public string Socket { get; init; } = DefaultSocket;
    public string SpoolDir { get; init; } = DefaultSpoolDir;

    /// <summary>How long ADD and CHECK wait for yurtnetd to accept a connection before answering code 11.</summary>
    public TimeSpan DaemonWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long any request waits for yurtnetd's answer once connected.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The bound of a whole DEL: tearing down, asking yurtnetd, and spooling when it does not answer in time. A hung
    /// daemon must not hold a pod's teardown (kubelet's own CNI timeout is in minutes, and it retries forever).
    /// </summary>
    public TimeSpan DelTimeout { get; init; } = DefaultDelTimeout;

    public IReadOnlyList<IPNetwork> Subnets { get; init; } = [];
    public IReadOnlyList<ResultRoute> Routes { get; init; } = [];
    public string? DnsJson { get; init; }
    public CniResult? PrevResult { get; init; }
    public IReadOnlyList<AttachmentRef>? ValidAttachments { get; init; }

    /// <summary>Addresses the pod asks for through its annotation <c>yurtnet.openyurt.io/ip</c> (ADD only).</summary>
    public IReadOnlyList<IPAddress> RequestedIps { get; init; } = [];

    /// <summary>The <c>ips</c> capability (<c>runtimeConfig.ips</c>, ADD only): addresses, each with an optional prefix, as given.</summary>
    public IReadOnlyList<string>? CapabilityIps { get; init; }

    /// <summary>The <c>mac</c> capability (<c>runtimeConfig.mac</c>, ADD only), as given.</summary>
    public string? CapabilityMac { get; init; }

    /// <summary>
    /// The namespace of the sticky key of a container that the runtime names only by <c>K8S_POD_NAME</c> (podman): its
    /// address is kept for <c>localPodNamespace/name</c> across restarts, as a pod's is for <c>namespace/name</c>.
    /// </summary>
    public string LocalPodNamespace { get; init; } = DefaultLocalPodNamespace;

    /// <summary>Whether the runtime passed the pod's annotations (<c>io.kubernetes.cri.pod-annotations</c>) at all.</summary>
    public bool PodAnnotationsPassed { get; init; }

    /// <summary>Problems of a DEL's conflist that do not stop a release (defaults stand in); DEL logs them.</summary>
    public IReadOnlyList<string> IgnoredProblems { get; init; } = [];

    /// <summary>
    /// The MTU of a pod's interface: the conflist's <c>mtu</c> when set; else yurtnetd's <paramref name="daemonHint"/>
    /// (the NodePool tunnel's MTU while peers are reached through it), kept within 68 (1280 for a pod with an IPv6
    /// address, the IPv6 minimum) and <see cref="DefaultMtu"/>; else <see cref="DefaultMtu"/>.
    /// <paramref name="raised"/> says when the hint was below the IPv6 minimum and was raised to it.
    /// </summary>
    public int PodMtu(int? daemonHint, bool hasIpv6, out bool raised)
    {
        raised = false;
        if (Mtu is { } set)
        {
            return set;
        }

        if (daemonHint is not { } hint)
        {
            return DefaultMtu;
        }

        var floor = hasIpv6 ? 1280 : 68;
        raised = hint < floor;
        return Math.Clamp(hint, floor, DefaultMtu);
    }
}
