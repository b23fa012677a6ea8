namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>How an LED is driven.</summary>
internal enum LedPattern
{
    Off,
    On,

    /// <summary>500 ms on, 500 ms off.</summary>
    SlowBlink,

    /// <summary>125 ms on, 125 ms off.</summary>
    FastBlink,

    /// <summary>Off, with a short flash after each activity event.</summary>
    Flash,
}
