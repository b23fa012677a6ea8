using Yurtnet.HostNetwork;
using Yurtnet.Netlink;
using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>The CNI verbs. Each validates first and touches the system only after that.</summary>
/// <param name="env">The invocation's environment.</param>
/// <param name="conf">The network's configuration.</param>
/// <param name="log">The plugin's log (stderr).</param>
/// <param name="connected">A connection to yurtnetd made before the configuration was parsed, or null; the first
/// session takes it over (the caller disposes it if none does).</param>
internal sealed partial class Plugin(CniEnvironment env, NetConf conf, PluginLog log, DaemonClient? connected = null)
{
    private readonly Masquerade _masquerade = new(Path.GetDirectoryName(conf.Socket) ?? "/run/yurtnet");
    private DaemonClient? _connected = connected;

    /// <summary>
    /// Opens a session to yurtnetd, on the connection made early if there is one and yurtnetd has not ended it since
    /// (a restart, an idle cut-off), else a new one within <paramref name="budget"/>.
    /// </summary>
    private DaemonSession OpenSession(TimeSpan budget, int attempts = 3)
    {
        var connected = _connected;
        _connected = null;
        if (connected?.EndedByDaemon() == true)
        {
            connected.Dispose();
            connected = null;
        }

        return DaemonSession.Open(conf.Socket, budget, log, attempts, connected);
    }

    /// <summary>Runs the verb; returns the bytes for stdout (empty when the verb prints nothing).</summary>
    public byte[] Run()
    {
        log.Network(conf.Name);
        return env.Command switch
        {
            CniCommand.Add => Add(),
            CniCommand.Del => Del(),
            CniCommand.Check => Check(),
            CniCommand.Status => Status(),
            CniCommand.Gc => Gc(),
            _ => throw new CniException(new CniError(CniError.InvalidEnvironment, $"CNI_COMMAND {env.Command} is not dispatched here")),
        };
    }

    /// <summary>STATUS and GC exist from CNI 1.1.0 on; an older configuration version is refused with code 2.</summary>
    private void RequireVersion(string verb)
    {
        if (!CniVersion.AllowsStatusAndGc(conf.CniVersion))
        {
            throw new CniException(new CniError(CniError.IncompatibleVersion, $"configuration version {conf.CniVersion} does not allow {verb} (needs 1.1.0)"));
        }
    }

    /// <summary>ADD and CHECK need the sandbox's namespace; checked before anything is allocated.</summary>
    private void RequireNetns()
    {
        if (!File.Exists(env.Netns))
        {
            throw new CniException(new CniError(CniError.InvalidEnvironment, $"CNI_NETNS {env.Netns}: no such network namespace", "the sandbox's network namespace must exist for ADD and CHECK"));
        }

        RefuseOwnNetns();
    }

    /// <summary>
    /// Refuses a CNI_NETNS that is the plugin's own (the host's) namespace (code 8), so a misconfigured runtime cannot
    /// make yurtnet plumb the host as if it were a pod. CNI_NETNS_OVERRIDE allows it.
    /// </summary>
    private void RefuseOwnNetns()
    {
        if (IsOwnNetns())
        {
            throw new CniException(new CniError(CniError.InvalidNetns, $"CNI_NETNS {env.Netns} is the plugin's own network namespace", "pass the pod sandbox's namespace; set CNI_NETNS_OVERRIDE=1 only if this is really meant"));
        }
    }

    private bool IsOwnNetns() =>
        env.Netns.Length > 0 && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CNI_NETNS_OVERRIDE")) && File.Exists(env.Netns)
        && Interop.SameFile(env.Netns, "/proc/self/ns/net");

    /// <summary>
    /// The pod, as the runtime names it: a Kubernetes pod by namespace and name; a container that only a name
    /// identifies (podman passes <c>K8S_POD_NAME</c> alone) in the network's <c>localPodNamespace</c>, marked local.
    /// </summary>
    private PodRef? Pod => env.Args.PodName is not { Length: > 0 } name
        ? null
        : env.Args.PodNamespace is { Length: > 0 } ns
            ? new PodRef { Namespace = ns, Name = name, Uid = string.IsNullOrEmpty(env.Args.PodUid) ? null : env.Args.PodUid }
            : new PodRef { Namespace = conf.LocalPodNamespace, Name = name, Local = true };

    /// <summary>
    /// Makes sure the network's masquerade chain is in the kernel (see <see cref="Masquerade.Ensure(string, IReadOnlyList{System.Net.IPNetwork}, TimeSpan)"/>); an nft that fails
    /// is a CNI error that says what to do. Returns true when a chain that had been installed was gone and is back.
    /// </summary>
    private bool EnsureMasquerade(IReadOnlyList<System.Net.IPNetwork> subnets)
    {
        try
        {
            return _masquerade.Ensure(conf.Name, subnets, conf.RequestTimeout);
        }
        catch (NftablesException ex)
        {
            throw new CniException(new CniError(CniError.IoFailure, ex.Message, Masquerade.Hint(ex)));
        }
    }

    /// <summary>The subnets the network's masquerade chain covers: the conflist's, or else the pools the addresses came from.</summary>
    private IReadOnlyList<System.Net.IPNetwork> MasqueradeSubnets(IEnumerable<System.Net.IPNetwork> pools) =>
        conf.Subnets.Count > 0 ? conf.Subnets : pools.Distinct().ToList();

    private DaemonSession Connect(TimeSpan budget, int unreachableCode)
    {
        if (SpooledRelease.PackageRemovedMarker(conf.SpoolDir) is { } marker && File.Exists(marker))
        {
            // No daemon to wait for: say so at once, not after the connect budget.
            var removed = ReadRemoval(marker);
            throw new CniException(new CniError(unreachableCode, $"yurtnet was removed from this node ({removed}); its network stays only so that the pods still on it can be torn down", "install yurtnet again, or purge it (apt purge yurtnet) and configure another pod network"));
        }

        try
        {
            return OpenSession(budget);
        }
        catch (DaemonUnreachableException ex)
        {
            throw new CniException(new CniError(unreachableCode, ex.Message, "yurtnetd must be running: systemctl status yurtnetd"));
        }
    }

    private static string ReadRemoval(string marker)
    {
        try
        {
            return File.ReadAllText(marker).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{marker} exists";
        }
    }

    /// <summary>Sends a request and returns the expected answer; daemon errors become CNI errors.</summary>
    private T Ask<T>(DaemonSession session, Request request) where T : Response => Ask<T>(session, request, conf.RequestTimeout);

    /// <summary>Sends a request and waits at most <paramref name="timeout"/> for the expected answer.</summary>
    private static T Ask<T>(DaemonSession session, Request request, TimeSpan timeout) where T : Response
    {
        Post(session, request, timeout);
        return Receive<T>(session, request);
    }

    /// <summary>Sends a request without waiting for the answer (<see cref="Receive{T}"/> reads it); errors become CNI errors.</summary>
    private static void Post(DaemonSession session, Request request, TimeSpan timeout) =>
        Talking(() =>
        {
            session.Post(request, timeout);
            return true;
        });

    /// <summary>The expected answer to the request <see cref="Post"/> sent; daemon errors become CNI errors.</summary>
    private static T Receive<T>(DaemonSession session, Request request) where T : Response
    {
        var response = Talking(session.Receive);
        return response switch
        {
            T expected => expected,
            ErrorResponse error => throw new CniException(MapError(error)),
            _ => throw new CniException(new CniError(YurtnetErrorCode.DaemonRefused, $"yurtnetd answered {response.GetType().Name} to {request.GetType().Name}")),
        };
    }

    /// <summary>Runs one step of a conversation with yurtnetd; its failures become CNI errors.</summary>
    private static TResult Talking<TResult>(Func<TResult> step)
    {
        try
        {
            return step();
        }
        catch (TimeoutException ex)
        {
            throw new CniException(new CniError(CniError.TryAgainLater, ex.Message, "it may be overloaded or hung: journalctl -u yurtnetd"));
        }
        catch (IOException ex)
        {
            throw new CniException(new CniError(CniError.TryAgainLater, $"the connection to yurtnetd broke: {ex.Message}", "journalctl -u yurtnetd"));
        }
        catch (DaemonUnreachableException ex)
        {
            throw new CniException(new CniError(CniError.TryAgainLater, $"the connection to yurtnetd broke and it did not come back: {ex.Message}", "systemctl status yurtnetd"));
        }
    }

    private static CniError MapError(ErrorResponse error) => error.Error switch
    {
        ErrorKind.TryAgainLater => new CniError(CniError.TryAgainLater, $"yurtnetd: {error.Message}"),
        ErrorKind.PoolExhausted => new CniError(YurtnetErrorCode.PoolExhausted, $"yurtnetd: {error.Message}", "free addresses (yurtnetctl leases) or give the network a larger subnet"),
        ErrorKind.LeaseUnknown => new CniError(YurtnetErrorCode.CheckMismatch, $"yurtnetd: {error.Message}"),
        ErrorKind.InvalidRequest => new CniError(CniError.InvalidNetworkConfig, $"yurtnetd: {error.Message}"),
        _ => new CniError(YurtnetErrorCode.DaemonRefused, $"yurtnetd refused the request ({error.Error}): {error.Message}"),
    };
}
