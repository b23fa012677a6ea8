using Microsoft.Extensions.DependencyInjection;

namespace Yurtnet.Daemon.Peers;

/// <summary>Registers the Peers component (the NodePool network).</summary>
internal static class PeersServiceCollectionExtensions
{
    /// <summary>
    /// The peer table and its datapath, as a hosted service that programs the kernel before the socket serves:
    /// register it before <c>AddCniApi</c>. Needs <c>AddState</c> (the node's pod CIDRs).
    /// </summary>
    public static IServiceCollection AddPeers(this IServiceCollection services, PeerNetworkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton<PeerDatapath>();
        services.AddSingleton<MasqueradeExemption>();
        services.AddSingleton<PeerNetwork>();
        services.AddHostedService(sp => sp.GetRequiredService<PeerNetwork>());
        return services;
    }
}
