using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using k8s;
using k8s.Authentication;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// yurtnetd's one connection to the API server through yurthub: KubernetesClient.Aot's configuration and HTTP
/// pipeline (CA, bearer token), with the User-Agent yurthub names its cache after, <c>Accept: application/json</c>,
/// HTTP/1.1, and a token bucket on everything but watches. A configuration that cannot be loaded (a missing CA file)
/// does not fail the daemon: it is kept as <see cref="ConfigurationProblem"/>, and the link does not start.
/// </summary>
internal sealed class ClusterClient : IKubeTransport, IDisposable
{
    /// <summary>One token, no version: yurthub's cache key, and what operators add to <c>cache_agents</c>.</summary>
    public const string UserAgent = "yurtnet";

    private readonly Kubernetes? _api;
    private readonly TokenBucketRateLimiter _limiter;

    /// <param name="options">The <c>cluster</c> section.</param>
    /// <param name="userAgent">yurthub's cache key: <see cref="UserAgent"/>, or another for a second view of a resource.</param>
    public ClusterClient(ClusterOptions options, string userAgent = UserAgent)
    {
        ArgumentNullException.ThrowIfNull(options);
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Burst,
            TokensPerPeriod = Math.Max(1, (int)Math.Round(options.Qps)),
            ReplenishmentPeriod = TimeSpan.FromSeconds(Math.Max(1, Math.Round(options.Qps)) / options.Qps),
            QueueLimit = 10_000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        try
        {
            var config = Configuration(options);
            config.UserAgent = userAgent;
            config.DisableHttp2 = true;
            config.HttpClientTimeout = TimeSpan.FromSeconds(30);
            _api = new Kubernetes(config, new ApiRequestHandler(_limiter));
        }
        catch (IOException ex)
        {
            ConfigurationProblem = ex.Message;
        }
    }

    /// <summary>Why the CA, token or kubeconfig could not be loaded (the message names the file); null when they could.</summary>
    public string? ConfigurationProblem { get; }

    public Uri BaseUri => Api.BaseUri;

    private Kubernetes Api => _api ?? throw new InvalidOperationException($"the cluster client is not configured: {ConfigurationProblem}");

    /// <summary>
    /// Sends a request through the client's pipeline with its credentials (the generated operations add them per
    /// request; raw requests such as watches must too).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Api.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken);
        }

        return await Api.HttpClient.SendAsync(request, completion, cancellationToken);
    }

    /// <exception cref="IOException">The CA, token or kubeconfig cannot be read; the message names the file.</exception>
    private static KubernetesClientConfiguration Configuration(ClusterOptions options)
    {
        try
        {
            return options.Kubeconfig is { } kubeconfig ? KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)
                : options.InCluster ? KubernetesClientConfiguration.InClusterConfig()
                : new KubernetesClientConfiguration
                {
                    Host = options.Server.ToString(),
                    SslCaCerts = options.CaFile is { } ca ? LoadCa(ca) : null,
                    // ClusterOptions.Read refuses a section with neither tokenFile, kubeconfig nor inCluster.
                    TokenProvider = new FileTokenProvider(options.TokenFile!),
                };
        }
        catch (Exception ex) when (ex is not IOException)
        {
            throw new IOException($"cluster configuration: {ex.Message}", ex);
        }
    }

    private static X509Certificate2Collection LoadCa(string path)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new IOException($"cluster.caFile {path}: {ex.Message}", ex);
        }

        return certificates.Count > 0 ? certificates : throw new IOException($"cluster.caFile {path}: no PEM certificate in it");
    }

    public void Dispose()
    {
        _api?.Dispose();
        _limiter.Dispose();
    }

    /// <summary>Accept header and the rate limit. Watches are long-lived and not limited.</summary>
    private sealed class ApiRequestHandler(RateLimiter limiter) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Accept.Clear();
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Version = System.Net.HttpVersion.Version11;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            if (request.RequestUri?.Query.Contains("watch=", StringComparison.Ordinal) != true)
            {
                using var lease = await limiter.AcquireAsync(1, cancellationToken);
                if (!lease.IsAcquired)
                {
                    throw new HttpRequestException("yurtnet's API rate limit queue is full");
                }
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>The ServiceAccount token from a file, read again whenever the file changes (a rotated token).</summary>
    private sealed class FileTokenProvider(string path) : ITokenProvider
    {
        private readonly object _gate = new();
        private (DateTime Modified, long Length) _stamp;
        private string? _token;

        public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancel)
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new IOException($"cluster.tokenFile {path} does not exist");
            }

            lock (_gate)
            {
                var stamp = (info.LastWriteTimeUtc, info.Length);
                if (_token is null || stamp != _stamp)
                {
                    _token = File.ReadAllText(path).Trim();
                    _stamp = stamp;
                }

                return Task.FromResult(new AuthenticationHeaderValue("Bearer", _token));
            }
        }
    }
}
