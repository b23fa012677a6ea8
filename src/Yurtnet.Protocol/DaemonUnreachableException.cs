namespace Yurtnet.Protocol;

/// <summary>yurtnetd did not accept a connection on its socket within the caller's budget.</summary>
public sealed class DaemonUnreachableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DaemonUnreachableException(string socketPath, TimeSpan waited, Exception? lastError)
        : base($"yurtnetd is not running or not accepting connections on {socketPath} (waited {waited.TotalSeconds:0.#} s: {lastError?.Message ?? "no attempt"}); start it with 'systemctl start yurtnetd.socket yurtnetd'", lastError)
    {
        SocketPath = socketPath;
    }

    /// <summary>Creates the exception.</summary>
    public DaemonUnreachableException() : base("yurtnetd is unreachable") => SocketPath = "";

    /// <summary>Creates the exception.</summary>
    public DaemonUnreachableException(string message) : base(message) => SocketPath = "";

    /// <summary>Creates the exception.</summary>
    public DaemonUnreachableException(string message, Exception innerException) : base(message, innerException) => SocketPath = "";

    /// <summary>The socket that was tried.</summary>
    public string SocketPath { get; }
}
