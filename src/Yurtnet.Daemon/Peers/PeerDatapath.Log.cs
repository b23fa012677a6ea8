using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Peers;

internal sealed partial class PeerDatapath
{
    [LoggerMessage(EventId = 7101, Level = LogLevel.Error, Message = "{Change}: refused by the kernel: {Reason}")]
    private static partial void LogRefused(ILogger logger, string change, string reason);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "created VXLAN device {Device}: vni {Vni}, port {Port}, local {Local}, MAC {Mac} (derived from the local address)")]
    private static partial void LogVxlanCreated(ILogger logger, string device, uint vni, int port, string local, string mac);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "VXLAN device {Device} had other settings ({Found}; wanted {Wanted}): made again")]
    private static partial void LogVxlanRecreated(ILogger logger, string device, string found, string wanted);

    [LoggerMessage(EventId = 7104, Level = LogLevel.Information, Message = "removed VXLAN device {Device}: no peer needs it")]
    private static partial void LogVxlanRemoved(ILogger logger, string device);

    [LoggerMessage(EventId = 7105, Level = LogLevel.Warning, Message = "this gateway's underlay address is not configured: the VXLAN tunnel starts at {Address}, the source address towards its peers; they must list this gateway with that address (set nodePool.address to be sure)")]
    private static partial void LogAddressGuessed(ILogger logger, string address);
}
