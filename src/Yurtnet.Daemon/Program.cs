using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Cluster;
using Yurtnet.Daemon.CniApi;
using Yurtnet.Daemon.Metrics;
using Yurtnet.Daemon.Configuration;
using Yurtnet.Daemon.Peers;
using Yurtnet.Daemon.Reconcile;
using Yurtnet.Daemon.State;

// yurtnetd: IPAM, state and the socket the yurtnet plugin talks to. The only composition root: it reads the
// arguments and the settings, sets up logging, and lets each component register itself.
var version = DaemonVersion.Text;
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

var options = DaemonOptions.Read(configuration, out var problems);
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
    Console.WriteLine($"yurtnetd: {(File.Exists(configPath) ? configPath : "defaults")} OK: socket {options.CniApi.Socket}, state {options.State.StateDir}, spool {options.Reconcile.SpoolDir}, leaseHold {options.State.LeaseHold}");
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
builder.Services.AddSingleton(TimeProvider.System);

// Each component registers itself and what it needs from its own options; the test harness calls the same methods.
builder.Services
    .AddState(options.State)
    .AddReconcile(options.Reconcile)
    .AddPeers(options.NodePool)
    .AddCniApi(options.CniApi)
    .AddAppliance(options.Appliance)
    .AddClusterLink(options.Cluster)
    .AddMetrics(options.Metrics);

try
{
    using var host = builder.Build();
    var services = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
    await host.StartAsync();
    await host.WaitForShutdownAsync();

    // A background service that failed stopped the host (BackgroundServiceExceptionBehavior.StopHost); exiting 0
    // would tell systemd all is well and leave the gateway without a pod network (Restart=on-failure).
    var failed = services.FirstOrDefault(s => s.ExecuteTask is { IsFaulted: true });
    if (failed is not null)
    {
        // IsFaulted: the task and its exception are there.
        Console.Error.WriteLine($"yurtnetd: fatal: {failed.GetType().Name} failed: {failed.ExecuteTask!.Exception!.GetBaseException().Message}");
        return 1;
    }

    return 0;
}
catch (Exception ex) when (Refusal(ex) is { } refused)
{
    Console.Error.WriteLine($"yurtnetd: {refused.Message}");
    return 3;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"yurtnetd: fatal: {ex.GetType().Name}: {ex.Message}");
    return 1;
}

// The store's refusal, wherever the host wrapped it (it carries the cause of a failed migration inside itself).
static StoreRefusedException? Refusal(Exception? ex)
{
    for (; ex is not null; ex = ex.InnerException)
    {
        if (ex is StoreRefusedException refused)
        {
            return refused;
        }
    }

    return null;
}
