namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>backend "none": an LED declared but not wired (or whose hardware could not be opened).</summary>
internal sealed class NoneLedBackend : ILedBackend
{
    public void Set(bool lit)
    {
    }

    public void Dispose()
    {
    }
}
