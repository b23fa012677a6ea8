using Microsoft.Extensions.Logging.Abstractions;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Appliance.Leds;
using Yurtnet.Daemon.CniApi;
using Yurtnet.Daemon.Configuration;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.CniApi;

/// <summary>The daemon's components wired as Program wires them, on a temp directory and a real Unix socket.</summary>
internal sealed class DaemonHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public DaemonHarness(Func<DaemonOptions, DaemonOptions>? configure = null, TimeProvider? time = null, Func<LedOptions, ILedBackend>? leds = null)
    {
        Time = time ?? TimeProvider.System;
        Directory = System.IO.Directory.CreateTempSubdirectory("yurtnetd-test-").FullName;
        Options = new DaemonOptions
        {
            Socket = Path.Combine(Directory, "run", "cni.sock"),
            StateDir = Path.Combine(Directory, "state"),
            SpoolDir = Path.Combine(Directory, "spool"),
            RequestTimeout = TimeSpan.FromSeconds(5),
        };
        Options = configure?.Invoke(Options) ?? Options;
        Keeper = new LeaseKeeper(LeaseStore.Open(Options.StateDir, NullLogger.Instance, Time), Options, new BootId("boot-test"), Time, NullLogger<LeaseKeeper>.Instance);
        Spool = new SpoolDrain(Keeper, Options, NullLogger<SpoolDrain>.Instance);
        Reconciler = new Reconciler(Keeper, Spool, Options, Time, NullLogger<Reconciler>.Instance);
        Health = new HealthModel(Time);
        Leds = new LedBlinker(Options, leds ?? (_ => new NoneLedBackend()), Health, Time, NullLogger<LedBlinker>.Instance);
        Server = new CniSocketServer(new CniRequestHandler(Keeper, Spool, Health, Leds, new Yurtnet.Daemon.Cluster.PodView(), Time), Reconciler, Options, Health, NullLogger<CniSocketServer>.Instance);
    }

    public TimeProvider Time { get; }
    public HealthModel Health { get; }
    public LedBlinker Leds { get; }
    public Reconciler Reconciler { get; }
    public string Directory { get; }
    public DaemonOptions Options { get; }
    public LeaseKeeper Keeper { get; }
    public SpoolDrain Spool { get; }
    public CniSocketServer Server { get; }

    public async Task StartAsync()
    {
        await Server.StartAsync(_stop.Token);
        await Server.Serving.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Server.StopAsync(CancellationToken.None);
        Server.Dispose();
        Leds.Dispose();
        Spool.Dispose();
        Keeper.Dispose();
        _stop.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
