using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>
/// Drives every configured LED from one scheduler (not a thread per LED): every 50 ms it maps the health snapshot
/// to each LED's pattern and writes only the LEDs whose level changes. An LED whose hardware cannot be opened is
/// reported and tried again every <see cref="RetryInterval"/> (a driver that udev loads after yurtnetd started, as
/// Debian's leds-gpio module at boot), reported again only when the reason changes; all LEDs are switched off on a
/// clean stop.
/// </summary>
internal sealed partial class LedBlinker(ApplianceOptions options, Func<LedOptions, ILedBackend> open, HealthModel health, TimeProvider time, ILogger<LedBlinker> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    /// <summary>How often LEDs that could not be opened are tried again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(10);

    private long _nextRetry;
    private readonly List<Light> _lights = [];
    private readonly Dictionary<string, string> _unavailable = [];
    private readonly object _gate = new();
    private string? _testName;
    private long _testUntil;

    /// <summary>Opens the configured LEDs; called once, before the first <see cref="Step"/>.</summary>
    public void OpenAll()
    {
        lock (_gate)
        {
            OpenEach();
        }
    }

    private void OpenEach()
    {
        foreach (var led in options.Leds)
        {
            TryOpen(led);
        }

        _nextRetry = time.GetUtcNow().ToUnixTimeMilliseconds() + (long)RetryInterval.TotalMilliseconds;
    }

    private void TryOpen(LedOptions led)
    {
        try
        {
            _lights.Add(new Light(led, open(led)));
            _unavailable.Remove(led.Name);
            LogOpened(logger, led.Name, led.Role, led.Backend);
        }
        catch (IOException ex)
        {
            if (!_unavailable.TryGetValue(led.Name, out var before) || before != ex.Message)
            {
                LogUnavailable(logger, led.Name, ex.Message);
            }

            _unavailable[led.Name] = ex.Message;
        }
    }

    private void RetryUnavailable(long nowMilliseconds)
    {
        if (_unavailable.Count == 0 || nowMilliseconds < _nextRetry)
        {
            return;
        }

        _nextRetry = nowMilliseconds + (long)RetryInterval.TotalMilliseconds;
        foreach (var led in options.Leds.Where(l => _unavailable.ContainsKey(l.Name)).ToList())
        {
            TryOpen(led);
        }
    }

    /// <summary>Sets every LED for the moment <paramref name="nowMilliseconds"/> (Unix ms).</summary>
    public void Step(long nowMilliseconds)
    {
        var snapshot = health.Snapshot();
        var lastActivity = health.LastActivity;
        lock (_gate)
        {
            RetryUnavailable(nowMilliseconds);
            var testing = _testName is not null && nowMilliseconds < _testUntil ? _testName : null;
            foreach (var light in _lights)
            {
                light.Pattern = LedPatterns.For(light.Options.Role, health.Serving, snapshot);
                var lit = testing is not null ? light.Options.Name == testing : LedPatterns.IsLit(light.Pattern, nowMilliseconds, lastActivity);
                if (light.Lit != lit)
                {
                    light.Backend.Set(lit);
                    light.Lit = lit;
                }
            }
        }
    }

    /// <summary>Every configured LED with what it shows now, or why it is not available.</summary>
    public List<Yurtnet.Protocol.LedInfo> Describe()
    {
        lock (_gate)
        {
            return options.Leds.Select(led => new Yurtnet.Protocol.LedInfo
            {
                Name = led.Name,
                Role = led.Role.ToString().ToLowerInvariant(),
                Backend = led.Backend,
                State = _unavailable.TryGetValue(led.Name, out var why) ? $"not available: {why}"
                    : _lights.Find(l => l.Options.Name == led.Name) is { } light ? Describe(light.Pattern) : "starting",
            }).ToList();
        }
    }

    /// <summary>Lights <paramref name="name"/> alone, steadily, for <paramref name="duration"/>; false when there is no such LED.</summary>
    public async Task<bool> TestAsync(string name, TimeSpan duration, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_lights.Exists(l => l.Options.Name == name))
            {
                return false;
            }

            _testName = name;
            _testUntil = time.GetUtcNow().ToUnixTimeMilliseconds() + (long)duration.TotalMilliseconds;
        }

        await Task.Delay(duration, time, cancellationToken);
        return true;
    }

    private static string Describe(LedPattern pattern) => pattern switch
    {
        LedPattern.SlowBlink => "slow blink",
        LedPattern.FastBlink => "fast blink",
        _ => pattern.ToString().ToLowerInvariant(),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        OpenAll();
        if (options.Leds.Count == 0)
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
        lock (_gate)
        {
            foreach (var light in _lights)
            {
                light.Backend.Set(false);
                light.Backend.Dispose();
            }

            _lights.Clear();
        }
    }

    private sealed class Light(LedOptions options, ILedBackend backend)
    {
        public LedOptions Options { get; } = options;
        public ILedBackend Backend { get; } = backend;
        public bool Lit { get; set; }
        public LedPattern Pattern { get; set; }
    }
}
