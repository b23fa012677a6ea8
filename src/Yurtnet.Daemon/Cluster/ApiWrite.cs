using System.Net;
using System.Net.Http.Headers;

namespace Yurtnet.Daemon.Cluster;

/// <summary>What the API server (or yurthub in its place) answered a write, when it answered one worth reading.</summary>
internal sealed record ApiAnswer(HttpStatusCode Code, string Body);

/// <summary>
/// One write to the API server through the client (its credentials and token bucket). What says that the cloud is not
/// really there is reported to the cloud health here and answers null: no answer at all, 401 (a token yurthub faked
/// or a rotated one), 500/502/503/504. Whether anything else counts as written is for the caller to read in the body:
/// offline, yurthub answers a PATCH with 200 and its cached object and a POST with 201 and an echo.
/// </summary>
internal static class ApiWrite
{
    public static async Task<ApiAnswer?> SendAsync(ClusterClient client, CloudHealth cloud, HttpMethod method, string path, byte[] content, string contentType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(client.BaseUri, path)) { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            cloud.ReportFailure($"{method} {path}: {ex.Message}");
            return null;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            switch (response.StatusCode)
            {
                case HttpStatusCode.Unauthorized:
                    cloud.ReportUnauthorized($"{method} {path}");
                    return null;
                case HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.InternalServerError:
                    cloud.ReportFailure($"{method} {path}: {(int)response.StatusCode}");
                    return null;
                default:
                    return new ApiAnswer(response.StatusCode, body);
            }
        }
    }

    /// <summary>The start of a refusal's body, for the journal.</summary>
    public static string Excerpt(string body) => body.Length > 300 ? body[..300] : body;
}
