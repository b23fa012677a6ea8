using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using k8s;
using k8s.Authentication;

namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// yurtnetd's one connection to the API server through yurthub: KubernetesClient.Aot reads the configuration (a
/// kubeconfig, the in-cluster files, or our own server, CA and token file) and makes the credentials; the HTTP
/// pipeline is ours (the server checked against the configured CA only, or not at all where the kubeconfig says
/// <c>insecure-skip-tls-verify</c>; a client certificate; the token, basic auth or client certificate on each request),
/// with the User-Agent yurthub names its cache after, <c>Accept: application/json</c>, HTTP/1.1, and a token bucket on
/// everything but watches. A configuration that cannot be loaded (a missing CA file) does not fail the daemon: it is
/// kept as <see cref="ConfigurationProblem"/>, and the link does not start.
/// </summary>
/// <remarks>
/// The library's <c>Kubernetes</c> client is not built: yurtnetd sends its few requests itself, and constructing that
/// type links every API group's operations and models into the NativeAOT binary (27.8 MB against 15.7 MB, and 14 MB
/// more resident at idle, measured). Everything its constructor does for a configuration is done here.
/// </remarks>
internal sealed class ClusterClient : IKubeTransport, IDisposable
{
    /// <summary>One token, no version: yurthub's cache key, and what operators add to <c>cache_agents</c>.</summary>
    public const string UserAgent = "yurtnet";

    private readonly HttpClient? _http;
    private readonly ServiceClientCredentials? _credentials;
    private readonly Uri? _baseUri;
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
            _baseUri = HostUri(config.Host);
            _credentials = Kubernetes.CreateCredentials(config);
            // Timeout: none on the client (watches are long); each caller bounds its own requests.
            var serverName = string.IsNullOrWhiteSpace(config.TlsServerName) ? null : config.TlsServerName;
            _http = new HttpClient(new ApiRequestHandler(_limiter, serverName) { InnerHandler = Handler(config, _baseUri) }) { Timeout = Timeout.InfiniteTimeSpan };
            _http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
        }
        catch (IOException ex)
        {
            ConfigurationProblem = ex.Message;
        }
    }

    /// <summary>Why the CA, token or kubeconfig could not be loaded (the message names the file); null when they could.</summary>
    public string? ConfigurationProblem { get; }

    public Uri BaseUri => _baseUri ?? throw NotConfigured();

    /// <summary>Sends a request with the configured credentials (a token read again per request, or basic auth), rate-limited unless a watch.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = _http ?? throw NotConfigured();
        if (_credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken);
        }

        return await http.SendAsync(request, completion, cancellationToken);
    }

    private InvalidOperationException NotConfigured() => new($"the cluster client is not configured: {ConfigurationProblem}");

    /// <summary>The server's address as the library's client takes it: an absolute URI, ending in a slash.</summary>
    private static Uri HostUri(string? host)
    {
        if (!Uri.TryCreate(host, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new IOException($"cluster configuration: the server \"{host}\" is not an http or https URL");
        }

        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>
    /// The connection: HTTPS checked against the configured CA alone (with none configured, the system's), or not
    /// checked where the kubeconfig says <c>insecure-skip-tls-verify</c>; the client certificate the kubeconfig names.
    /// </summary>
    private static SocketsHttpHandler Handler(KubernetesClientConfiguration config, Uri server)
    {
        var handler = new SocketsHttpHandler();
        if (server.Scheme != Uri.UriSchemeHttps)
        {
            return handler;
        }

        if (config.SkipTlsVerify)
        {
            // The kubeconfig asks for it in so many words (insecure-skip-tls-verify), as kubectl honours it.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (config.SslCaCerts is { } authorities)
        {
            if (authorities.Count == 0)
            {
                throw new IOException("cluster configuration: the cluster's certificate authority holds no certificate");
            }

            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, presented, errors) => Trusted(authorities, certificate, presented, errors);
        }

        if (ClientCertificate(config) is { } clientCertificate)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        return handler;
    }

    /// <summary>The kubeconfig's client certificate and key (inline, base64, or files), when it names both.</summary>
    private static X509Certificate2? ClientCertificate(KubernetesClientConfiguration config)
    {
        var certificate = Pem(config.ClientCertificateData, config.ClientCertificateFilePath);
        var key = Pem(config.ClientCertificateKeyData, config.ClientKeyFilePath);
        if (certificate is null || key is null)
        {
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPem(certificate, key);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new IOException($"cluster configuration: the kubeconfig's client certificate and key do not make a certificate: {ex.Message}", ex);
        }

        static string? Pem(string? base64, string? path)
        {
            try
            {
                return !string.IsNullOrWhiteSpace(path) ? File.ReadAllText(path)
                    : !string.IsNullOrWhiteSpace(base64) ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64))
                    : null;
            }
            catch (FormatException ex)
            {
                throw new IOException($"cluster configuration: the kubeconfig's client certificate or key data is not base64: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                throw new IOException($"cluster configuration: {path}: {ex.Message}", ex);
            }
        }
    }

    /// <summary>
    /// The server's certificate names the server and chains up to one of <paramref name="authorities"/>: those alone,
    /// not the system's CAs, as kubectl trusts a kubeconfig's <c>certificate-authority</c>.
    /// </summary>
    /// <param name="authorities">The configured CA certificates.</param>
    /// <param name="certificate">The server's certificate.</param>
    /// <param name="presented">The chain TLS built; its extra store holds the certificates the server sent.</param>
    /// <param name="errors">What TLS found wrong, with the system's CAs.</param>
    private static bool Trusted(X509Certificate2Collection authorities, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || certificate is not X509Certificate2 server)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        if (presented is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }

        return chain.Build(server);
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
        _http?.Dispose();
        _limiter.Dispose();
    }

    /// <summary>
    /// Accept header and the rate limit (watches are long-lived and not limited); the kubeconfig's
    /// <c>tls-server-name</c> as the Host, which is the name TLS asks for and checks the certificate against.
    /// </summary>
    private sealed class ApiRequestHandler(RateLimiter limiter, string? serverName) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (serverName is not null)
            {
                request.Headers.Host = serverName;
            }

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
