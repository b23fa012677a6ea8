using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.State;

/// <summary>Registers the State component: the one owner of the database file, and what it keeps.</summary>
internal static class StateServiceCollectionExtensions
{
    /// <summary>
    /// The kernel's boot id, the state database (opened, and if damaged set aside, on first use), the lease keeper
    /// the cluster facts and
    /// what each network shares with the host. Needs a <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddState(this IServiceCollection services, StateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton(_ => BootId.ReadKernel());
        services.AddMetrics();
        services.AddSingleton(sp => StateStore.Open(options.StateDir, sp.GetRequiredService<ILogger<StateStore>>(), sp.GetRequiredService<TimeProvider>(), meters: sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton<HostEvidence>();
        services.AddSingleton<LeaseKeeper>();
        services.AddSingleton<ClusterFacts>();
        services.AddSingleton<NetworkHosts>();
        return services;
    }
}
