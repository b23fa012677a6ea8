using Microsoft.Extensions.DependencyInjection;

namespace Yurtnet.Daemon.Cluster;

/// <summary>Registers the Cluster component.</summary>
internal static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// The pod view, always (empty when standalone, so an ADD can always ask it); with <paramref name="options"/>, the
    /// cluster link and its parts: the client, cloud health, yurthub's probe, the Node and pod watches, the status
    /// outbox, cluster GC and the watch of the NodePool's peers. Needs <c>AddState</c>, <c>AddAppliance</c> (the health
    /// model) and <c>AddPeers</c> (the peer network the watch feeds).
    /// </summary>
    public static IServiceCollection AddClusterLink(this IServiceCollection services, ClusterOptions? options)
    {
        services.AddSingleton<PodView>();
        if (options is null)
        {
            return services;
        }

        services.AddSingleton(options);
        services.AddSingleton<ClusterClient>();
        services.AddSingleton<CloudHealth>();
        services.AddSingleton<HubHealthProbe>();
        services.AddSingleton<NodeWatch>();
        services.AddSingleton<PodWatch>();
        services.AddSingleton<StatusOutbox>();
        services.AddSingleton<PodGc>();
        services.AddSingleton<NodeStatusReporter>();
        services.AddSingleton<NodeEvents>();
        services.AddKeyedSingleton(PeerWatch.UserAgent, (_, _) => new ClusterClient(options, PeerWatch.UserAgent));
        services.AddSingleton<PeerWatch>();
        services.AddHostedService<ClusterLink>();
        return services;
    }
}
