using Microsoft.Extensions.DependencyInjection;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Appliance.Leds;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.CniApi;
using Yurtnet.Daemon.Configuration;
using Yurtnet.Daemon.Metrics;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.CniApi;

/// <summary>
/// The daemon's components registered by the same <c>AddXxx</c> calls as Program's, on a temp directory and a real
/// Unix socket. Only the machine's inputs are replaced: the clock, the boot id and the LED hardware. Nothing runs
/// until a test starts it: <see cref="StartAsync"/> starts the socket server (which first runs one reconcile pass).
/// </summary>
internal sealed class DaemonHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ServiceProvider _services;

    public DaemonHarness(Func<DaemonOptions, DaemonOptions>? configure = null, TimeProvider? time = null, Func<LedOptions, ILedBackend>? leds = null)
    {
        Time = time ?? TimeProvider.System;
        Directory = System.IO.Directory.CreateTempSubdirectory("yurtnetd-test-").FullName;
        Options = new DaemonOptions
        {
            CniApi = new CniApiOptions { Socket = Path.Combine(Directory, "run", "cni.sock"), RequestTimeout = TimeSpan.FromSeconds(5) },
            State = new StateOptions { StateDir = Path.Combine(Directory, "state"), CniResultsDir = Path.Combine(Directory, "cni-results") },
            Reconcile = new ReconcileOptions { SpoolDir = Path.Combine(Directory, "spool"), RunDir = Path.Combine(Directory, "run") },
        };
        Options = configure?.Invoke(Options) ?? Options;
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(Time)
            .AddState(Options.State)
            .AddReconcile(Options.Reconcile)
            .AddPeers(Options.NodePool)
            .AddCniApi(Options.CniApi)
            .AddAppliance(Options.Appliance)
            .AddClusterLink(Options.Cluster)
            .AddMetrics(Options.Metrics);
        services.AddSingleton(new BootId("boot-test"));
        services.AddSingleton(leds ?? (_ => new NoneLedBackend()));
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public TimeProvider Time { get; }
    public string Directory { get; }
    public DaemonOptions Options { get; }
    public HealthModel Health => Get<HealthModel>();
    public LedBlinker Leds => Get<LedBlinker>();
    public Reconciler Reconciler => Get<Reconciler>();
    public LeaseKeeper Keeper => Get<LeaseKeeper>();
    public SpoolDrain Spool => Get<SpoolDrain>();
    public CniSocketServer Server => Get<CniSocketServer>();

    /// <summary>A component as the daemon would get it.</summary>
    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public async Task StartAsync()
    {
        await Server.StartAsync(_stop.Token);
        await Server.Serving.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Stops the socket server as the host does on SIGTERM, and waits for its drain.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Server.StopAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
        _stop.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
