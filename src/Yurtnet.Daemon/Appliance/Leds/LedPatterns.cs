using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>The LED legend, as a pure function from health to pattern.</summary>
internal static class LedPatterns
{
    public static LedPattern For(LedRole role, bool serving, HealthInfo health)
    {
        ArgumentNullException.ThrowIfNull(health);
        return role switch
        {
            LedRole.Power => !serving ? LedPattern.SlowBlink : health.Alive ? LedPattern.On : LedPattern.FastBlink,
            LedRole.Uplink => health.Uplink == "up" ? LedPattern.On : LedPattern.Off,
            LedRole.Cloud => health.Cloud switch
            {
                "online" => LedPattern.On,
                "offline" => LedPattern.SlowBlink,
                "unknown" => LedPattern.FastBlink,
                _ => LedPattern.Off,
            },
            LedRole.Activity => LedPattern.Flash,
            LedRole.Fault => serving && (!health.Alive || health.Store != "ok" || health.RecentFailures > 0) ? LedPattern.On : LedPattern.Off,
            _ => LedPattern.Off,
        };
    }

    /// <summary>Whether a pattern lights the LED at <paramref name="now"/> (milliseconds on a monotonic clock).</summary>
    public static bool IsLit(LedPattern pattern, long now, long lastActivity) => pattern switch
    {
        LedPattern.On => true,
        LedPattern.SlowBlink => now % 1000 < 500,
        LedPattern.FastBlink => now % 250 < 125,
        LedPattern.Flash => lastActivity >= 0 && now - lastActivity < FlashMilliseconds,
        _ => false,
    };

    /// <summary>Length of one activity flash.</summary>
    public const long FlashMilliseconds = 80;

    /// <summary>At most one flash starts per this many milliseconds, so a burst of pods is a steady flicker, not a blur.</summary>
    public const long FlashRateLimitMilliseconds = 200;
}
