using System.Diagnostics;
using System.Text.Json;
using Yurtnet.CriDriver.Cri;

namespace Yurtnet.CriDriver;

/// <summary>
/// The pod sandbox calls kubelet makes, shaped as kubelet shapes them: RunPodSandbox with the pod's metadata, the
/// <c>io.kubernetes.pod.*</c> labels, hostname, log directory and the POD network namespace; PodSandboxStatus to read
/// the address; StopPodSandbox twice (kubelet stops a sandbox when its pod is killed and again before removing it:
/// the runtime's CNI DEL must hold up to repeats) and RemovePodSandbox.
/// </summary>
internal sealed class Kubelet(CriConnection cri, string logRoot, string cgroupParent)
{
    /// <summary>Runs the sandbox of <paramref name="pod"/> and reads its address and network namespace back.</summary>
    public async Task<PodLine> RunAsync(PodSpec pod, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var id = await RunSandboxAsync(pod, cancellationToken);
        var runMs = watch.Elapsed.TotalMilliseconds;
        var status = await cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true }, cri.Deadline(cancellationToken));
        return new PodLine(pod.Namespace, pod.Name, pod.Uid, pod.Attempt, id, status.Status.Network?.Ip ?? "", NetnsOf(status), runMs);
    }

    /// <summary>RunPodSandbox alone: the sandbox id.</summary>
    public async Task<string> RunSandboxAsync(PodSpec pod, CancellationToken cancellationToken)
    {
        var metadata = new PodSandboxMetadata { Name = pod.Name, Namespace = pod.Namespace, Uid = pod.Uid, Attempt = pod.Attempt };
        var config = new PodSandboxConfig
        {
            Metadata = metadata,
            Hostname = pod.Name,
            LogDirectory = Path.Combine(logRoot, $"{pod.Namespace}_{pod.Name}_{pod.Uid}"),
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = cgroupParent.Length == 0 ? "" : $"{cgroupParent}/pod{pod.Uid}",
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    // kubelet's defaults for a pod without hostNetwork, hostPID or hostIPC.
                    NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
                },
            },
        };
        config.Labels.Add("io.kubernetes.pod.name", pod.Name);
        config.Labels.Add("io.kubernetes.pod.namespace", pod.Namespace);
        config.Labels.Add("io.kubernetes.pod.uid", pod.Uid);
        config.Annotations.Add("kubernetes.io/config.source", "api");
        config.Annotations.Add("kubernetes.io/config.seen", DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var response = await cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }, cri.Deadline(cancellationToken));
        return response.PodSandboxId;
    }

    /// <summary>One StopPodSandbox: its time in milliseconds.</summary>
    public async Task<double> StopAsync(string id, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id }, cri.Deadline(cancellationToken));
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>What kubelet does with a sandbox it no longer needs: StopPodSandbox, StopPodSandbox, RemovePodSandbox.</summary>
    public async Task<double> TeardownAsync(string id, CancellationToken cancellationToken)
    {
        var first = await StopAsync(id, cancellationToken);
        await StopAsync(id, cancellationToken);
        await cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id }, cri.Deadline(cancellationToken));
        return first;
    }

    public async Task<IReadOnlyList<PodSandbox>> ListAsync(CancellationToken cancellationToken) =>
        (await cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cri.Deadline(cancellationToken))).Items;

    /// <summary>The path of the sandbox's network namespace, from containerd's verbose info (its runtime spec).</summary>
    private static string NetnsOf(PodSandboxStatusResponse status)
    {
        if (!status.Info.TryGetValue("info", out var info))
        {
            return "";
        }

        using var document = JsonDocument.Parse(info);
        if (document.RootElement.TryGetProperty("runtimeSpec", out var spec)
            && spec.TryGetProperty("linux", out var linux)
            && linux.TryGetProperty("namespaces", out var namespaces))
        {
            foreach (var ns in namespaces.EnumerateArray())
            {
                if (ns.TryGetProperty("type", out var type) && type.GetString() == "network" && ns.TryGetProperty("path", out var path))
                {
                    return path.GetString() ?? "";
                }
            }
        }

        return "";
    }
}
