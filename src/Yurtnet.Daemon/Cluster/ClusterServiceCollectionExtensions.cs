using Microsoft.Extensions.DependencyInjection;

namespace Yurtnet.Daemon.Cluster;

/// <summary>Registers the Cluster component.</summary>
internal static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// The pod view, always (empty when standalone, so an ADD can always ask it); with <paramref name="options"/>, the
    /// cluster link and its parts: the client, cloud health, yurthub's probe, the Node and pod watches, the status
    /// outbox and cluster GC. Needs <c>AddState</c> and <c>AddAppliance</c> (the health model).
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
        services.AddHostedService<ClusterLink>();
        return services;
    }
}
