namespace Yurtnet.Daemon.Appliance;

/// <summary>An open hardware watchdog (the kernel boundary; tests substitute a recording double).</summary>
internal interface IWatchdogDevice : IDisposable
{
    /// <summary>Asks for a timeout; returns the timeout the driver granted (drivers round to what the hardware can do).</summary>
    int SetTimeout(int seconds);

    /// <summary>Resets the countdown.</summary>
    void KeepAlive();

    /// <summary>Writes the magic 'V' so that closing disarms the watchdog (ignored by drivers built with nowayout).</summary>
    void DisarmOnClose();
}
