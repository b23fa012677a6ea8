using Microsoft.Extensions.DependencyInjection;

namespace Yurtnet.Daemon.CniApi;

/// <summary>Registers the CniApi component.</summary>
internal static class CniApiServiceCollectionExtensions
{
    /// <summary>
    /// The request handler and the socket server, which runs as a background service. Needs <c>AddState</c>,
    /// <c>AddReconcile</c>, <c>AddAppliance</c> (health, LEDs) and <c>AddClusterLink</c> (the pod view).
    /// </summary>
    public static IServiceCollection AddCniApi(this IServiceCollection services, CniApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddMetrics();
        services.AddSingleton<CniOperationMetrics>();
        services.AddSingleton<CniRequestHandler>();
        services.AddSingleton<CniSocketServer>();
        services.AddHostedService(sp => sp.GetRequiredService<CniSocketServer>());
        return services;
    }
}
