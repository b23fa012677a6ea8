using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.Configuration;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// The cluster link: yurthub's health probe, the Node and pod watches, the pod status outbox and cluster-driven GC,
/// in the background. Nothing on the CNI path waits for it; a link that cannot start (a missing CA file) is
/// reported and yurtnetd serves on with what the store knows.
/// </summary>
internal sealed partial class ClusterLink(ClusterOptions options, CloudHealth cloud, PodView pods, LeaseKeeper keeper, TimeProvider time, ILogger<ClusterLink> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (keeper.Cloud is { } remembered && Enum.TryParse<CloudState>(remembered.State, ignoreCase: true, out var state))
        {
            cloud.Restore(state, remembered.Since);
        }

        cloud.Changed += (changed, detail, since) => _ = PersistAsync(new CloudRecord(CloudHealth.Name(changed), detail, since), stoppingToken);
        LogStarting(logger, options.NodeName, options.Kubeconfig ?? (options.InCluster ? "in-cluster configuration" : options.Server.ToString()), options.HubManagement);
        var probe = new HubHealthProbe(cloud, options, time).RunAsync(stoppingToken);
        ClusterClient client;
        try
        {
            client = ClusterClient.Create(options);
        }
        catch (IOException ex)
        {
            LogNotStarted(logger, ex.Message);
            await probe;
            return;
        }

        using (client)
        using (var outbox = new StatusOutbox(client, cloud, pods, keeper, options, time, logger))
        {
            var nodes = new NodeWatch(client, cloud, keeper, options, time, logger);
            var podWatch = new PodWatch(client, cloud, pods, options, logger);
            var gc = new PodGc(cloud, pods, keeper, options, time, logger);
            await Task.WhenAll(
                probe,
                SuperviseAsync("node watch", nodes.RunAsync, stoppingToken),
                SuperviseAsync("pod watch", podWatch.RunAsync, stoppingToken),
                SuperviseAsync("pod status outbox", outbox.RunAsync, stoppingToken),
                SuperviseAsync("cluster GC", gc.RunAsync, stoppingToken));
        }
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

    private async Task PersistAsync(CloudRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await keeper.SaveCloudAsync(record, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LiteDB.LiteException or OperationCanceledException)
        {
            LogNotPersisted(logger, ex.Message);
        }
    }

    [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "cluster link for node {Node} through {Server}; yurthub health from {Hub}")]
    private static partial void LogStarting(ILogger logger, string node, string server, Uri hub);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Error, Message = "cluster link not started: {Problem}. Pods are still served; networks without ipam.subnets use the pod CIDRs last learned, if any")]
    private static partial void LogNotStarted(ILogger logger, string problem);

    [LoggerMessage(EventId = 4033, Level = LogLevel.Error, Message = "cluster link: {Part} failed: {Problem}; starting it again in {Seconds:0.0} s (pods are still served)")]
    private static partial void LogPartFailed(ILogger logger, string part, string problem, double seconds, Exception exception);

    [LoggerMessage(EventId = 4032, Level = LogLevel.Warning, Message = "cloud state not recorded in the store: {Problem}")]
    private static partial void LogNotPersisted(ILogger logger, string problem);
}
