using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Hosting.Systemd;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Appliance.Leds;
using Yurtnet.Daemon.CniApi;
using Yurtnet.Daemon.Configuration;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;

// yurtnetd: IPAM, state and the socket the yurtnet plugin talks to. The only composition root.
var version = typeof(DaemonOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
string? configPath = null;
var checkOnly = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--config" when i + 1 < args.Length:
            configPath = args[++i];
            break;
        case "--check-config":
            checkOnly = true;
            break;
        case "--version":
            Console.WriteLine($"yurtnetd {version}");
            return 0;
        case "--help" or "-h":
            Console.WriteLine("usage: yurtnetd [--config PATH] [--check-config] [--version]\n  --config PATH    settings file (default /etc/yurtnet/yurtnetd.json; YURTNETD_<KEY> variables override it)\n  --check-config   validate the settings and exit");
            return 0;
        default:
            Console.Error.WriteLine($"yurtnetd: unknown argument \"{args[i]}\"; see yurtnetd --help");
            return 2;
    }
}

var explicitConfig = configPath is not null;

// The JSON provider would resolve a relative path against the binary's directory, not the caller's.
configPath = Path.GetFullPath(configPath ?? DaemonOptions.DefaultConfigPath);
if (explicitConfig && !File.Exists(configPath))
{
    Console.Error.WriteLine($"yurtnetd: config file {configPath} does not exist");
    return 2;
}

// Our settings come from the file and YURTNETD_* only, so validation sees no host-internal keys.
var settings = new ConfigurationBuilder();
try
{
    if (File.Exists(configPath))
    {
        settings.AddJsonFile(configPath, optional: false, reloadOnChange: false);
    }

    settings.AddEnvironmentVariables("YURTNETD_");
}
catch (Exception ex) when (ex is InvalidDataException or FormatException or System.Text.Json.JsonException)
{
    Console.Error.WriteLine($"yurtnetd: config file {configPath} is not valid JSON: {ex.InnerException?.Message ?? ex.Message}");
    return 2;
}

IConfigurationRoot configuration;
try
{
    configuration = settings.Build();
}
catch (Exception ex) when (ex is InvalidDataException or FormatException or System.Text.Json.JsonException)
{
    Console.Error.WriteLine($"yurtnetd: config file {configPath} is not valid JSON: {ex.InnerException?.Message ?? ex.Message}");
    return 2;
}

var options = DaemonOptionsReader.Read(configuration, out var problems);
if (problems.Count > 0)
{
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"yurtnetd: {configPath}: {problem}");
    }

    return 2;
}

if (checkOnly)
{
    Console.WriteLine($"yurtnetd: {(File.Exists(configPath) ? configPath : "defaults")} OK: socket {options.Socket}, state {options.StateDir}, spool {options.SpoolDir}, leaseHold {options.LeaseHold}");
    return 0;
}

var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.Logging.ClearProviders();
builder.Logging.SetMinimumLevel(LogLevel.Information);
if (options.LogFormat == "json")
{
    builder.Logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
}
else if (Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 })
{
    // Under systemd: journald adds the time; <N> prefixes carry the level.
    builder.Logging.AddSystemdConsole();
}
else
{
    builder.Logging.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        o.UseUtcTimestamp = true;
    });
}

builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(_ => BootId.ReadKernel());
builder.Services.AddSingleton<HealthModel>();
builder.Services.AddSingleton(sp => LeaseStore.Open(options.StateDir, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Yurtnet.Daemon.State"), sp.GetRequiredService<TimeProvider>()));
builder.Services.AddSingleton<LeaseKeeper>();
builder.Services.AddSingleton<Yurtnet.Daemon.Cluster.PodView>();
builder.Services.AddSingleton<SpoolDrain>();
builder.Services.AddSingleton<Reconciler>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Reconciler>());
builder.Services.AddSingleton<CniRequestHandler>();
builder.Services.AddSingleton<CniSocketServer>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<CniSocketServer>());
builder.Services.AddSingleton<Liveness>();
builder.Services.AddSingleton(WatchdogRequest.FromEnvironment(Environment.GetEnvironmentVariable, Environment.ProcessId));
builder.Services.AddHostedService<SystemdNotifications>();
builder.Services.AddHostedService<UplinkCarrier>();
builder.Services.AddSingleton<Func<LedOptions, ILedBackend>>(led => led.Backend switch
{
    "gpio" when led.LineName is { } lineName => GpioLedBackend.OpenNamed(led.Chip, lineName, led.ActiveLow),
    "gpio" => GpioLedBackend.Open(led.Chip ?? "0", led.Line, led.ActiveLow),
    "ledclass" => LedClassBackend.Open(led.Led!, led.Role == LedRole.Uplink ? options.Uplink : null),
    "mcp23xxx" => GpioLedBackend.OpenExpander(led.Model, led.Bus, led.Address, led.Line, led.ActiveLow),
    _ => new NoneLedBackend(),
});
builder.Services.AddSingleton<LedBlinker>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<LedBlinker>());
if (options.Cluster is { } cluster)
{
    builder.Services.AddSingleton(cluster);
    builder.Services.AddSingleton<Yurtnet.Daemon.Cluster.CloudHealth>();
    builder.Services.AddHostedService<Yurtnet.Daemon.Cluster.ClusterLink>();
}

if (options.Watchdog is { } watchdog)
{
    builder.Services.AddSingleton(watchdog);
    builder.Services.AddSingleton<Func<string, IWatchdogDevice>>(path => LinuxWatchdogDevice.Open(path));
    builder.Services.AddHostedService<HardwareWatchdog>();
}

try
{
    using var host = builder.Build();
    await host.RunAsync();
    return 0;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"yurtnetd: fatal: {ex.GetType().Name}: {ex.Message}");
    return 1;
}
