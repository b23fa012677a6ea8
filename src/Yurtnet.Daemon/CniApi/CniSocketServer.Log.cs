using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.CniApi;

internal sealed partial class CniSocketServer
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "serving {Socket} (at most {Max} requests at once, {Connections} connections)")]
    private static partial void LogListening(ILogger logger, string socket, int max, int connections);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "cut off the client pid {Pid} uid {Uid}: {Reason}{Unlogged}")]
    private static partial void LogCutOff(ILogger logger, int pid, uint uid, string reason, string unlogged);

    [LoggerMessage(EventId = 1003, Message = "{Op} id={Id} containerId={ContainerId} pid={Pid} -> {Result} in {Ms:0.0} ms")]
    private static partial void LogRequest(ILogger logger, LogLevel level, string op, string id, string containerId, int pid, string result, double ms);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "{Op} id={Id} failed: {Type}: {Reason}")]
    private static partial void LogRequestFailed(ILogger logger, string op, string id, string type, string reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "connection failed: {Type}: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string type, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "socket directory {Directory} is writable by group or others; give yurtnetd its own directory (mode 0700)")]
    private static partial void LogLooseDirectory(ILogger logger, string directory);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "using the listening socket passed by systemd ({Socket})")]
    private static partial void LogInherited(ILogger logger, string socket);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "containerId={ContainerId} ifName={IfName}: {Why} after allocating; {Released} pending lease(s) freed")]
    private static partial void LogRolledBack(ILogger logger, string containerId, string ifName, int released, string why);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "containerId={ContainerId} ifName={IfName}: {Why} after allocating, and its pending lease could not be freed now ({Reason}); it is reclaimed after pendingTimeout")]
    private static partial void LogRollBackFailed(ILogger logger, string containerId, string ifName, string why, string reason);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "serving without applying the spool first: the store refused it ({Reason}); a later pass applies it")]
    private static partial void LogStartPassFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "stopping with {Count} connection(s) still open after {Seconds:0} s; their clients reconnect to the next yurtnetd")]
    private static partial void LogDrainIncomplete(ILogger logger, int count, double seconds);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "cannot accept a connection ({Error}: {Reason}); trying again every {Ms:0} ms ({Failures} failures in a row so far, logged at most every 10 s)")]
    private static partial void LogAcceptFailed(ILogger logger, string error, string reason, double ms, int failures);
}
