using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Peers;

internal sealed partial class MasqueradeExemption
{
    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "never masqueraded: {Count} network(s): {Networks}")]
    private static partial void LogFilled(ILogger logger, int count, string networks);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Error, Message = "cannot fill the masquerade exemption sets ({Problem}): pods masquerade towards the other gateways' pods until this works (install nftables; yurtnetd needs CAP_NET_ADMIN)")]
    private static partial void LogFailed(ILogger logger, string problem);
}
