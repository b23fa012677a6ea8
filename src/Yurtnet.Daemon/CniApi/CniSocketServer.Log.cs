using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.CniApi;

internal sealed partial class CniSocketServer
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "serving {Socket} (at most {Max} requests at once)")]
    private static partial void LogListening(ILogger logger, string socket, int max);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "refused connection from pid {Pid} uid {Uid}: not in allowedUids")]
    private static partial void LogRefusedPeer(ILogger logger, int pid, uint uid);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "{Op} id={Id} containerId={ContainerId} pid={Pid} -> {Result} in {Ms:0.0} ms")]
    private static partial void LogRequest(ILogger logger, string op, string id, string containerId, int pid, string result, double ms);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "{Op} id={Id} failed: {Type}: {Reason}")]
    private static partial void LogRequestFailed(ILogger logger, string op, string id, string type, string reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "connection failed: {Type}: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string type, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "using the listening socket passed by systemd ({Socket})")]
    private static partial void LogInherited(ILogger logger, string socket);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "socket directory {Directory} is writable by group or others; give yurtnetd its own directory (mode 0700)")]
    private static partial void LogLooseDirectory(ILogger logger, string directory);
}
