using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Yurtnet.Netlink;
using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>
/// Parses and validates the network configuration on stdin. Undecodable input is code 6, an unsupported
/// cniVersion code 1, and every other finding is gathered into one code-7 error that names each key.
/// </summary>
internal static partial class NetConfParser
{
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$")]
    private static partial Regex NetworkNamePattern();

    /// <summary>The cniVersion in stdin, without validating anything else; used to shape early errors.</summary>
    public static string? PeekVersion(ReadOnlySpan<byte> stdin) => Peek(stdin, "cniVersion").Value;

    /// <summary>
    /// The socket the configuration names (the default if it names none), without validating anything else; null
    /// when the input is not a JSON object whose top-level <c>socket</c>, if any, is a string.
    /// </summary>
    public static string? PeekSocket(ReadOnlySpan<byte> stdin) => Peek(stdin, "socket") switch
    {
        (true, false, _) => NetConf.DefaultSocket,
        var (_, _, socket) => socket,
    };

    /// <summary>
    /// Reads the top-level members of stdin up to <paramref name="key"/>: whether stdin is an object that could be
    /// read that far, whether it has the member, and the member's value if it is a string.
    /// </summary>
    private static (bool Object, bool Found, string? Value) Peek(ReadOnlySpan<byte> stdin, string key)
    {
        try
        {
            var reader = new Utf8JsonReader(stdin);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (false, false, null);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isKey = reader.ValueTextEquals(key);
                reader.Read();
                if (isKey)
                {
                    return (true, true, reader.TokenType == JsonTokenType.String ? reader.GetString() : null);
                }

                reader.Skip();
            }

            return (reader.TokenType == JsonTokenType.EndObject, false, null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return (false, false, null);
        }
    }

    public static NetConf Parse(ReadOnlySpan<byte> stdin, CniCommand command)
    {
        // The JSON reader checks a string's UTF-8 only when the string is read, deep in the parse: check it all first.
        if (!System.Text.Unicode.Utf8.IsValid(stdin))
        {
            throw new CniException(new CniError(CniError.DecodeFailure, "cannot decode the network configuration on stdin: it is not valid UTF-8", "stdin must be the JSON network configuration"));
        }

        JsonElement root;
        try
        {
            root = OwnedJson.Parse(stdin);
        }
        catch (JsonException ex)
        {
            throw new CniException(new CniError(CniError.DecodeFailure,
                $"cannot decode the network configuration on stdin: not valid JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}",
                "stdin must be the JSON network configuration"));
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new CniException(new CniError(CniError.DecodeFailure, $"cannot decode the network configuration on stdin: expected a JSON object, got {root.ValueKind}"));
        }

        var version = "0.1.0";
        if (root.TryGetProperty("cniVersion", out var v))
        {
            if (v.ValueKind != JsonValueKind.String)
            {
                throw new CniException(new CniError(CniError.DecodeFailure, $"cannot decode the network configuration on stdin: cniVersion must be a string, got {v.ValueKind}"));
            }

            version = v.GetString()!;
        }

        if (!CniVersion.IsSupported(version))
        {
            throw new CniException(new CniError(CniError.IncompatibleVersion,
                $"incompatible CNI versions: the configuration is {(version.Length == 0 ? "(empty)" : version)}, yurtnet supports {string.Join(", ", CniVersion.Supported)}",
                "set \"cniVersion\" in the conflist to one of the supported versions"));
        }

        return ParseFields(root, version, command);
    }

    private static NetConf ParseFields(JsonElement root, string version, CniCommand command)
    {
        var problems = new List<string>();
        var reader = new ConfFieldReader(root, problems);

        var name = reader.String("name");
        if (name is null)
        {
            problems.Add("name: required; give the network a name");
        }
        else if (!NetworkNamePattern().IsMatch(name))
        {
            problems.Add($"name: \"{name}\" must start with a letter or digit and contain only letters, digits, '_', '.' and '-'");
        }

        var bridge = reader.String("bridge") ?? NetConf.DefaultBridge;
        if (InterfaceName.Problem(bridge) is { } bridgeProblem)
        {
            problems.Add($"bridge: {bridgeProblem}");
        }

        var mtu = reader.Int("mtu");
        if (mtu is < 68 or > 65535)
        {
            problems.Add($"mtu: {mtu} is outside 68..65535");
        }

        var localPodNamespace = reader.String("localPodNamespace") ?? NetConf.DefaultLocalPodNamespace;
        if (localPodNamespace.Length is 0 or > 63 || localPodNamespace.Contains('/', StringComparison.Ordinal) || localPodNamespace.Any(char.IsWhiteSpace))
        {
            problems.Add($"localPodNamespace: \"{localPodNamespace}\" must be 1 to 63 characters without '/' or whitespace");
        }

        var isDefaultGateway = reader.Bool("isDefaultGateway") ?? true;
        var isGateway = (reader.Bool("isGateway") ?? true) || isDefaultGateway;
        var conf = new NetConf
        {
            CniVersion = version,
            Name = name ?? "",
            Bridge = bridge,
            Mtu = mtu,
            HairpinMode = reader.Bool("hairpinMode") ?? false,
            IsGateway = isGateway,
            IsDefaultGateway = isDefaultGateway,
            IpMasq = reader.Bool("ipMasq") ?? true,
            Socket = reader.AbsolutePath("socket") ?? NetConf.DefaultSocket,
            SpoolDir = reader.AbsolutePath("spoolDir") ?? NetConf.DefaultSpoolDir,
            DaemonWait = reader.Seconds("daemonWaitSeconds", 0.1, 120) ?? TimeSpan.FromSeconds(5),
            RequestTimeout = reader.Seconds("requestTimeoutSeconds", 1, 110) ?? TimeSpan.FromSeconds(30),
            DelTimeout = reader.Seconds("delTimeoutSeconds", 1, 60) ?? NetConf.DefaultDelTimeout,
            DnsJson = reader.RawObject("dns"),
            LocalPodNamespace = localPodNamespace,
        };

        // A DEL still releases through the spool: its connect fails at once as unreachable.
        if (command != CniCommand.Del && DaemonClient.SocketPathProblem(conf.Socket) is { } socketProblem)
        {
            problems.Add($"socket: {socketProblem}");
        }

        var (subnets, routes) = IpamSectionParser.Parse(root, problems);
        if (mtu < 1280 && subnets.Any(s => s.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6))
        {
            problems.Add($"mtu: {mtu} is below 1280, the IPv6 minimum, and ipam.subnets has an IPv6 subnet");
        }

        conf = conf with { Subnets = subnets, Routes = routes };

        if (root.TryGetProperty("prevResult", out var prev) && prev.ValueKind != JsonValueKind.Null)
        {
            if (prev.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"prevResult: expected an object, got {prev.ValueKind}");
            }
            else
            {
                conf = conf with { PrevResult = ResultJson.Read(prev, problems) };
            }
        }

        if (command == CniCommand.Gc)
        {
            conf = conf with { ValidAttachments = ParseValidAttachments(root, problems) };
        }

        if (command == CniCommand.Del && problems.Count > 0 && !problems.Any(NeededToRelease))
        {
            // A DEL must not fail a teardown over a key it does not need (the conflist may have changed since the ADD).
            return conf with { IgnoredProblems = problems };
        }

        if (problems.Count > 0)
        {
            throw new CniException(new CniError(CniError.InvalidNetworkConfig,
                $"invalid network configuration \"{conf.Name}\": {string.Join("; ", problems)}",
                $"fix the named keys in the conflist of network \"{conf.Name}\", in the runtime's CNI configuration directory (/etc/cni/net.d unless the runtime is set otherwise; rootless podman: ~/.config/cni/net.d)"));
        }

        if (command == CniCommand.Add)
        {
            var requested = RequestedIps(root);
            conf = conf with
            {
                RequestedIps = requested ?? [],
                PodAnnotationsPassed = requested is not null,
                CapabilityIps = CapabilityIps(root),
                CapabilityMac = RuntimeConfig(root, "mac") is { } mac
                    ? mac.ValueKind == JsonValueKind.String ? mac.GetString() : throw CapabilityError("mac", $"expected a string, got {mac.ValueKind}")
                    : null,
            };
        }

        return conf;
    }

    /// <summary>Whether a problem is in a key DEL needs to release: which network, and where yurtnetd and the spool are.</summary>
    private static bool NeededToRelease(string problem) =>
        problem.StartsWith("name:", StringComparison.Ordinal) || problem.StartsWith("socket:", StringComparison.Ordinal)
        || problem.StartsWith("spoolDir:", StringComparison.Ordinal);

    /// <summary>
    /// <c>runtimeConfig["io.kubernetes.cri.pod-annotations"]["yurtnet.openyurt.io/ip"]</c>: one IPv4 and/or one IPv6
    /// address, comma separated. The runtime fills it when the conflist declares the capability; no API call is made.
    /// Null when the runtime passed no pod annotations at all (the daemon may then know them from the pod watch).
    /// </summary>
    private static List<IPAddress>? RequestedIps(JsonElement root)
    {
        if (!root.TryGetProperty("runtimeConfig", out var runtime) || runtime.ValueKind != JsonValueKind.Object
            || !runtime.TryGetProperty("io.kubernetes.cri.pod-annotations", out var annotations) || annotations.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (!annotations.TryGetProperty(Annotations.RequestedIp, out var value))
        {
            return [];
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        return Annotations.TryParseRequestedIps(text, out var ips, out var problem)
            ? ips
            : throw new CniException(new CniError(CniError.InvalidNetworkConfig, $"pod annotation {Annotations.RequestedIp}: \"{text}\": {problem}", Annotations.RequestedIpHint));
    }

    /// <summary><c>runtimeConfig[key]</c>, which the runtime fills for a capability the conflist declares; null when absent.</summary>
    private static JsonElement? RuntimeConfig(JsonElement root, string key) =>
        root.TryGetProperty("runtimeConfig", out var runtime) && runtime.ValueKind == JsonValueKind.Object && runtime.TryGetProperty(key, out var value)
            && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    /// <summary>The <c>ips</c> capability: a list of addresses (CIDR notation allowed), read by <see cref="AttachmentRequest"/>.</summary>
    private static List<string>? CapabilityIps(JsonElement root)
    {
        if (RuntimeConfig(root, "ips") is not { } ips)
        {
            return null;
        }

        if (ips.ValueKind != JsonValueKind.Array || ips.EnumerateArray().Any(ip => ip.ValueKind != JsonValueKind.String))
        {
            throw CapabilityError("ips", "expected an array of address strings");
        }

        return ips.EnumerateArray().Select(ip => ip.GetString()!).ToList();
    }

    private static CniException CapabilityError(string key, string problem) =>
        new(new CniError(CniError.InvalidNetworkConfig, $"runtimeConfig {key}: {problem}", $"the runtime fills runtimeConfig.{key} for the \"{key}\" capability; check what it passed"));

    private static List<AttachmentRef> ParseValidAttachments(JsonElement root, List<string> problems)
    {
        var result = new List<AttachmentRef>();
        if (!root.TryGetProperty("cni.dev/valid-attachments", out var list) && !root.TryGetProperty("cni.dev/attachments", out list))
        {
            problems.Add("cni.dev/valid-attachments: required for GC");
            return result;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"cni.dev/valid-attachments: expected an array, got {list.ValueKind}");
            return result;
        }

        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object
                && item.TryGetProperty("containerID", out var id) && id.ValueKind == JsonValueKind.String
                && item.TryGetProperty("ifname", out var ifName) && ifName.ValueKind == JsonValueKind.String)
            {
                result.Add(new AttachmentRef { ContainerId = id.GetString()!, IfName = ifName.GetString()! });
            }
            else
            {
                problems.Add("cni.dev/valid-attachments: every entry needs containerID and ifname strings");
            }
        }

        return result;
    }
}
