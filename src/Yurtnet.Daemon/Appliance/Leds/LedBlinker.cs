using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yurtnet.Daemon.CniApi;
using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>
/// Drives every configured LED from one scheduler (not a thread per LED): every 50 ms it maps the health snapshot
/// to each LED's pattern and writes only the LEDs whose level changes. An LED whose hardware cannot be opened is
/// reported once and left out; all LEDs are switched off on a clean stop.
/// </summary>
internal sealed partial class LedBlinker(DaemonOptions options, Func<LedOptions, ILedBackend> open, HealthModel health, CniSocketServer server, TimeProvider time, ILogger<LedBlinker> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    private readonly List<Light> _lights = [];

    /// <summary>Opens the configured LEDs; called once, before the first <see cref="Step"/>.</summary>
    public void OpenAll()
    {
        foreach (var led in options.Leds)
        {
            try
            {
                _lights.Add(new Light(led, open(led)));
                LogOpened(logger, led.Name, led.Role, led.Backend);
            }
            catch (IOException ex)
            {
                LogUnavailable(logger, led.Name, ex.Message);
            }
        }
    }

    /// <summary>Sets every LED for the moment <paramref name="nowMilliseconds"/> (Unix ms).</summary>
    public void Step(long nowMilliseconds)
    {
        var snapshot = health.Snapshot();
        var serving = server.Serving.IsCompletedSuccessfully;
        var lastActivity = health.LastActivity;
        foreach (var light in _lights)
        {
            var lit = LedPatterns.IsLit(LedPatterns.For(light.Options.Role, serving, snapshot), nowMilliseconds, lastActivity);
            if (light.Lit != lit)
            {
                light.Backend.Set(lit);
                light.Lit = lit;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        OpenAll();
        if (_lights.Count == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(Tick, time);
        do
        {
            Step(time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var light in _lights)
        {
            light.Backend.Set(false);
            light.Backend.Dispose();
        }

        _lights.Clear();
    }

    private sealed class Light(LedOptions options, ILedBackend backend)
    {
        public LedOptions Options { get; } = options;
        public ILedBackend Backend { get; } = backend;
        public bool Lit { get; set; }
    }

    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "LED {Name}: {Role} on {Backend}")]
    private static partial void LogOpened(ILogger logger, string name, LedRole role, string backend);

    [LoggerMessage(EventId = 6302, Level = LogLevel.Error, Message = "LED {Name} not used: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string name, string reason);
}
