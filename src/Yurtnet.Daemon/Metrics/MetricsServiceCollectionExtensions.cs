using Microsoft.Extensions.DependencyInjection;

namespace Yurtnet.Daemon.Metrics;

/// <summary>Registers the Metrics component.</summary>
internal static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// The exporter (a background service that does nothing unless <c>metrics.listen</c> or <c>metrics.textfileDir</c>
    /// is set). Needs <c>AddState</c>, <c>AddReconcile</c>, <c>AddPeers</c> and <c>AddAppliance</c>; reads the cloud's
    /// state from <c>AddClusterLink</c> when there is a link. Registered last, so it stops first.
    /// </summary>
    public static IServiceCollection AddMetrics(this IServiceCollection services, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddMetrics();
        services.AddSingleton<MetricsExporter>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricsExporter>());
        return services;
    }
}
