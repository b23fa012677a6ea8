namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>One physical LED (a GPIO line, later an LED class device or an expander pin). It starts dark.</summary>
internal interface ILedBackend : IDisposable
{
    /// <summary>Lights or darkens the LED (active-low wiring is the backend's business).</summary>
    void Set(bool lit);
}
