using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// The cluster link: yurthub's health probe, the Node, peer and pod watches, the pod status outbox, cluster-driven GC,
/// the Node's condition and status annotation and the Events for the operator, run in the background, each supervised
/// on its own. Nothing on the CNI path waits for it; a link that cannot start (a missing CA file) is reported and
/// yurtnetd serves on with what the store knows.
/// </summary>
internal sealed partial class ClusterLink(
    ClusterOptions options,
    ClusterClient client,
    CloudHealth cloud,
    ClusterFacts facts,
    HubHealthProbe probe,
    NodeWatch nodes,
    PeerWatch peers,
    PodWatch pods,
    StatusOutbox outbox,
    PodGc gc,
    NodeStatusReporter report,
    NodeEvents events,
    TimeProvider time,
    ILogger<ClusterLink> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (facts.Cloud is { } remembered && Enum.TryParse<CloudState>(remembered.State, ignoreCase: true, out var state))
        {
            cloud.Restore(state, remembered.Since);
        }

        cloud.Changed += (changed, detail, since) => _ = PersistAsync(new CloudRecord(CloudHealth.Name(changed), detail, since), stoppingToken);
        LogStarting(logger, options.NodeName, options.Kubeconfig ?? (options.InCluster ? "in-cluster configuration" : options.Server.ToString()), options.HubManagement);
        var probing = probe.RunAsync(stoppingToken);
        if (client.ConfigurationProblem is { } problem)
        {
            LogNotStarted(logger, problem);
            await probing;
            return;
        }

        await Task.WhenAll(
            probing,
            SuperviseAsync("node watch", nodes.RunAsync, stoppingToken),
            SuperviseAsync("peer watch", peers.RunAsync, stoppingToken),
            SuperviseAsync("pod watch", pods.RunAsync, stoppingToken),
            SuperviseAsync("pod status outbox", outbox.RunAsync, stoppingToken),
            SuperviseAsync("cluster GC", gc.RunAsync, stoppingToken),
            SuperviseAsync("node status", report.RunAsync, stoppingToken),
            SuperviseAsync("node events", events.RunAsync, stoppingToken));
    }

    /// <summary>
    /// Runs one part of the link and starts it again after an unexpected failure (a store error inside a watch
    /// callback, say): the cluster link must never take the CNI daemon down with it.
    /// </summary>
    private async Task SuperviseAsync(string part, Func<CancellationToken, Task> run, CancellationToken stoppingToken)
    {
        var backoff = new Backoff(Random.Shared);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await run(stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var wait = backoff.Next();
                LogPartFailed(logger, part, ex.Message, wait.TotalSeconds, ex);
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Remembers a transition in the background: whoever reported it (a probe, a watch) never waits for the disk.</summary>
    private async Task PersistAsync(CloudRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await facts.SaveCloudAsync(record, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteDB.LiteException or OperationCanceledException or ObjectDisposedException)
        {
            LogNotPersisted(logger, ex.Message);
        }
    }
}
