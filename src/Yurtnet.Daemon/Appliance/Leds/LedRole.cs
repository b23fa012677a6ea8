namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>What an LED tells the person in front of the gateway.</summary>
internal enum LedRole
{
    /// <summary>On when ready, slow blink while starting, fast blink when the daemon is not alive.</summary>
    Power,

    /// <summary>On with carrier on the uplink.</summary>
    Uplink,

    /// <summary>On online, slow blink offline, fast blink unknown, off standalone.</summary>
    Cloud,

    /// <summary>A short flash per ADD or DEL, rate limited.</summary>
    Activity,

    /// <summary>On while a failure is active.</summary>
    Fault,
}
