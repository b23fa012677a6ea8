using Microsoft.Extensions.DependencyInjection;

namespace Yurtnet.Daemon.Reconcile;

/// <summary>Registers the Reconcile component.</summary>
internal static class ReconcileServiceCollectionExtensions
{
    /// <summary>The spool drain, the host repair and the reconciler, which runs as a background service. Needs <c>AddState</c>.</summary>
    public static IServiceCollection AddReconcile(this IServiceCollection services, ReconcileOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton<SpoolDrain>();
        services.AddSingleton<HostRepair>();
        services.AddSingleton<Reconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<Reconciler>());
        return services;
    }
}
