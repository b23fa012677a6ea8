namespace Yurtnet.Daemon.Appliance;

/// <summary>Whether the daemon is alive (may be petted by a watchdog), with a one-line summary for systemd's STATUS=.</summary>
internal sealed record LivenessReport(bool Alive, string Summary);
