namespace Yurtnet.Daemon.Cluster;

/// <summary>What a list-watch needs of the API client: the server's address and a request sent with our credentials.</summary>
internal interface IKubeTransport
{
    Uri BaseUri { get; }

    Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken);
}
