using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Appliance.Leds;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.CniApi;
using Yurtnet.Daemon.Metrics;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests;

/// <summary>Each component registers itself; together they make a daemon whose every service can be built.</summary>
public sealed class DaemonWiringTests
{
    private static ServiceCollection Wire(ClusterOptions? cluster, WatchdogOptions? watchdog)
    {
        var services = new ServiceCollection();
        services.AddLogging().AddSingleton(TimeProvider.System)
            .AddState(new StateOptions { StateDir = "/nonexistent/state" })
            .AddReconcile(new ReconcileOptions())
            .AddPeers(new PeerNetworkOptions { Enabled = cluster is not null })
            .AddCniApi(new CniApiOptions())
            .AddAppliance(new ApplianceOptions { Watchdog = watchdog, Leds = [new LedOptions { Name = "power", Role = LedRole.Power, Backend = "none" }] })
            .AddClusterLink(cluster)
            .AddMetrics(new MetricsOptions { TextfileDir = "/nonexistent/textfiles" });
        return services;
    }

    [Fact]
    public void Every_component_of_a_daemon_with_cluster_link_and_watchdog_can_be_built()
    {
        var services = Wire(new ClusterOptions { NodeName = "gw-1", TokenFile = "/etc/yurtnet/token" }, new WatchdogOptions());

        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        // Start order (stop is the reverse): the reconciler, the peer routes and the socket first, the watchdog, the
        // cluster link and the metrics last.
        var hosted = services.Where(d => d.ServiceType == typeof(IHostedService)).Select(d => d.ImplementationType?.Name ?? "factory").ToList();
        Assert.Equal(["factory", "factory", "factory", "SystemdNotifications", "UplinkCarrier", "factory", "HardwareWatchdog", "ClusterLink", "factory"], hosted);
        Assert.NotNull(provider.GetRequiredService<MetricsExporter>());
    }

    [Fact]
    public void Standalone_daemon_has_a_pod_view_but_no_cluster_link()
    {
        var services = Wire(cluster: null, watchdog: null);

        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        Assert.NotNull(provider.GetService<PodView>());
        Assert.NotNull(provider.GetRequiredService<MetricsExporter>());
        Assert.Null(provider.GetService<ClusterClient>());
        Assert.DoesNotContain(services, d => d.ImplementationType == typeof(ClusterLink) || d.ImplementationType == typeof(HardwareWatchdog));
    }
}
