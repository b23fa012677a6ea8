using System.Net;

namespace Yurtnet.Daemon.Cluster;

/// <summary>An API answer other than success, with its status code and the server's message.</summary>
internal sealed class ApiStatusException(HttpStatusCode status, string message) : Exception($"{(int)status} {status}: {message}")
{
    public HttpStatusCode Status { get; } = status;
}
