namespace Yurtnet.Cni;

/// <summary>
/// The <c>CNI_ARGS</c> keys runtimes pass (<c>K=V;K=V</c>): the Kubernetes pod (kubelet through containerd or
/// CRI-O; podman passes <c>K8S_POD_NAME</c> alone), and the conventional <c>IP</c> and <c>MAC</c> requests
/// (podman's <c>--ip</c> and <c>--mac-address</c>).
/// </summary>
internal sealed record CniArgs
{
    public string? PodNamespace { get; init; }
    public string? PodName { get; init; }
    public string? PodUid { get; init; }
    public string? InfraContainerId { get; init; }

    /// <summary><c>IP</c>: requested addresses, comma separated (at most one per family), as given.</summary>
    public string? Ip { get; init; }

    /// <summary><c>MAC</c>: the requested MAC of the pod's interface, as given.</summary>
    public string? Mac { get; init; }

    /// <summary>
    /// Parses <c>CNI_ARGS</c>. Unknown keys are an error unless <c>IgnoreUnknown</c> is true, as the spec's
    /// reference library does it.
    /// </summary>
    public static bool TryParse(string? raw, out CniArgs args, out string problem)
    {
        args = new CniArgs();
        problem = "";
        if (string.IsNullOrEmpty(raw))
        {
            return true;
        }

        var pairs = new List<(string Key, string Value)>();
        foreach (var part in raw.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                problem = $"CNI_ARGS: \"{part}\" is not KEY=VALUE";
                return false;
            }

            pairs.Add((part[..eq], part[(eq + 1)..]));
        }

        // A request given twice would be one silently ignored.
        if (pairs.GroupBy(p => p.Key).FirstOrDefault(g => g.Key is "IP" or "MAC" && g.Count() > 1) is { } twice)
        {
            problem = $"CNI_ARGS: {twice.Key} is given {twice.Count()} times; give it once (IP takes one IPv4 and one IPv6 address, comma separated)";
            return false;
        }

        var ignoreUnknown = pairs.Any(p => p.Key == "IgnoreUnknown" && (p.Value == "1" || p.Value.Equals("true", StringComparison.OrdinalIgnoreCase)));
        var unknown = new List<string>();
        foreach (var (key, value) in pairs)
        {
            switch (key)
            {
                case "K8S_POD_NAMESPACE": args = args with { PodNamespace = value }; break;
                case "K8S_POD_NAME": args = args with { PodName = value }; break;
                case "K8S_POD_UID": args = args with { PodUid = value }; break;
                case "K8S_POD_INFRA_CONTAINER_ID": args = args with { InfraContainerId = value }; break;
                case "IP": args = args with { Ip = value }; break;
                case "MAC": args = args with { Mac = value }; break;
                case "IgnoreUnknown": break;
                default: unknown.Add(key); break;
            }
        }

        if (unknown.Count > 0 && !ignoreUnknown)
        {
            problem = $"CNI_ARGS: unknown key(s) {string.Join(", ", unknown)}; add IgnoreUnknown=1 to pass keys this plugin does not use";
            return false;
        }

        return true;
    }
}
