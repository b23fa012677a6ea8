using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// Every way the published yurtnetd can be given its cluster credentials reaches the API (through the API server
/// double over real HTTPS), and a server it cannot trust is never talked to: a kubeconfig with a token, a client
/// certificate (inline or in files) or basic auth, one that says insecure-skip-tls-verify, the in-cluster
/// ServiceAccount files, and the token file with a CA file.
/// </summary>
[Trait("requirement", "root")]
public sealed class ClusterCredentialsTests
{
    private const string Node = ClusterLinkTests.Node;

    private static string KubeconfigJson(string kubeconfig, ApiServerDouble api) =>
        $$""", "cluster": { "nodeName": "{{Node}}", "kubeconfig": "{{kubeconfig}}", "hubManagement": "{{api.HubManagement}}", "healthInterval": "200ms", "watchTimeout": "10s" }""";

    /// <summary>A kubeconfig for <paramref name="server"/> with the cluster and user lines given (YAML, indented under their key).</summary>
    private static string WriteKubeconfig(string directory, Uri server, string clusterLines, string userLines)
    {
        var path = Path.Combine(directory, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: site
              cluster:
                server: {server}
            {clusterLines}
            users:
            - name: yurtnet
              user:
            {userLines}
            contexts:
            - name: yurtnet@site
              context:
                cluster: site
                user: yurtnet
            current-context: yurtnet@site

            """);
        return path;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static async Task<bool> OnlineWithPodCidrAsync(DaemonProcess daemon, ApiServerDouble api, string cidr) =>
        await ClusterLinkTests.PodCidrLearnedAsync(daemon, cidr) && api.Requests.Any(r => r.Path.StartsWith("/api/v1/nodes", StringComparison.Ordinal));

    private static X509Certificate2 ClientCertificate(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}, O=yurtnet", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    [RootFact]
    public async Task Kubeconfig_with_the_ca_inline_and_a_token_reaches_the_api_with_the_token()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.40.0/24");
        var kubeconfig = WriteKubeconfig(api.Directory, api.Server, $"    certificate-authority-data: {Base64(api.CaPem)}", $"    token: {api.Token}");
        await using var started = await DaemonProcess.StartAsync(KubeconfigJson(kubeconfig, api));

        Assert.True(await OnlineWithPodCidrAsync(started, api, "10.79.40.0/24"), started.Log);
        Assert.All(api.Requests, r => Assert.Equal($"Bearer {api.Token}", r.Authorization));
        Assert.All(api.Requests, r => Assert.Equal("yurtnet", r.UserAgent));
    }

    [RootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Kubeconfig_client_certificate_inline_or_in_files_is_what_authenticates_and_no_token_is_sent(bool inFiles)
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.41.0/24");
        using var client = ClientCertificate("system:serviceaccount:kube-system:yurtnet");
        api.TrustedClient = client;
        var certificate = client.ExportCertificatePem();
        var key = client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();
        string userLines;
        if (inFiles)
        {
            File.WriteAllText(Path.Combine(api.Directory, "yurtnet.crt"), certificate);
            File.WriteAllText(Path.Combine(api.Directory, "yurtnet.key"), key);
            userLines = $"    client-certificate: {Path.Combine(api.Directory, "yurtnet.crt")}\n    client-key: {Path.Combine(api.Directory, "yurtnet.key")}";
        }
        else
        {
            userLines = $"    client-certificate-data: {Base64(certificate)}\n    client-key-data: {Base64(key)}";
        }

        var kubeconfig = WriteKubeconfig(api.Directory, api.Server, $"    certificate-authority: {api.CaFile}", userLines);
        await using var started = await DaemonProcess.StartAsync(KubeconfigJson(kubeconfig, api));

        Assert.True(await OnlineWithPodCidrAsync(started, api, "10.79.41.0/24"), started.Log);
        Assert.Equal([client.Thumbprint], api.ClientCertificatesSeen);
        Assert.All(api.Requests, r => Assert.Equal("", r.Authorization));
    }

    [RootFact]
    public async Task Kubeconfig_basic_auth_is_sent_as_basic_auth()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.43.0/24");
        api.BasicCredentials = "yurtnet:s3cret";
        var kubeconfig = WriteKubeconfig(api.Directory, api.Server, $"    certificate-authority: {api.CaFile}", "    username: yurtnet\n    password: s3cret");
        await using var started = await DaemonProcess.StartAsync(KubeconfigJson(kubeconfig, api));

        Assert.True(await OnlineWithPodCidrAsync(started, api, "10.79.43.0/24"), started.Log);
        Assert.All(api.Requests, r => Assert.Equal($"Basic {Base64("yurtnet:s3cret")}", r.Authorization));
    }

    [RootFact]
    public async Task Kubeconfig_with_insecure_skip_tls_verify_talks_to_a_server_no_ca_vouches_for()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.44.0/24");
        var kubeconfig = WriteKubeconfig(api.Directory, api.Server, "    insecure-skip-tls-verify: true", $"    token: {api.Token}");
        await using var started = await DaemonProcess.StartAsync(KubeconfigJson(kubeconfig, api));

        Assert.True(await OnlineWithPodCidrAsync(started, api, "10.79.44.0/24"), started.Log);
    }

    [RootFact]
    public async Task Server_the_configured_ca_did_not_sign_is_never_sent_a_request()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.45.0/24");
        using var stranger = ClientCertificate("some-other-ca");

        await using var daemon = await NeverTalkedToAsync(api, api.Server, $"    certificate-authority-data: {Base64(stranger.ExportCertificatePem())}", $"    token: {api.Token}", "SSL connection could not be established");
    }

    [RootFact]
    public async Task Server_whose_certificate_names_another_host_is_refused_even_though_the_ca_signed_it()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.46.0/24");
        // The double's certificate names 127.0.0.1 only; "localhost" reaches the same socket under another name.
        var byName = new UriBuilder(api.Server) { Host = "localhost" }.Uri;

        await using var daemon = await NeverTalkedToAsync(api, byName, $"    certificate-authority: {api.CaFile}", $"    token: {api.Token}", "SSL connection could not be established");
    }

    [RootFact]
    public async Task Kubeconfig_tls_server_name_is_the_name_the_servers_certificate_is_checked_against()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.48.0/24");
        // Reached as "localhost", which its certificate does not name; the kubeconfig says which name it does.
        var byName = new UriBuilder(api.Server) { Host = "localhost" }.Uri;
        var kubeconfig = WriteKubeconfig(api.Directory, byName, $"    certificate-authority: {api.CaFile}\n    tls-server-name: 127.0.0.1", $"    token: {api.Token}");
        await using var started = await DaemonProcess.StartAsync(KubeconfigJson(kubeconfig, api));

        Assert.True(await OnlineWithPodCidrAsync(started, api, "10.79.48.0/24"), started.Log);
    }

    [RootFact]
    public async Task Server_certificate_signed_by_an_intermediate_it_sends_is_trusted_through_the_root_in_the_ca_file()
    {
        await using var api = await ApiServerDouble.StartAsync(signedThroughIntermediate: true);
        api.SetNode(Node, "10.79.49.0/24");
        await using var daemon = await DaemonProcess.StartAsync(ClusterLinkTests.ClusterJson(api));

        Assert.True(await OnlineWithPodCidrAsync(daemon, api, "10.79.49.0/24"), daemon.Log);
    }

    [RootFact]
    public async Task In_cluster_service_account_files_and_environment_reach_the_api_with_the_token()
    {
        await using var api = await ApiServerDouble.StartAsync();
        api.SetNode(Node, "10.79.47.0/24");
        await using var daemon = new DaemonProcess($$""", "cluster": { "nodeName": "{{Node}}", "inCluster": true, "hubManagement": "{{api.HubManagement}}", "healthInterval": "200ms", "watchTimeout": "10s" }""");
        await daemon.StartInClusterAsync(api.Server, api.TokenFile, api.CaFile);

        Assert.True(await OnlineWithPodCidrAsync(daemon, api, "10.79.47.0/24"), daemon.Log);
        Assert.All(api.Requests, r => Assert.Equal($"Bearer {api.Token}", r.Authorization));
    }

    [RootFact]
    public async Task Kubeconfig_user_without_any_credential_is_a_configuration_problem_not_the_node_identity()
    {
        await using var api = await ApiServerDouble.StartAsync();
        // The library's kubeconfig reader refuses it, and the link does not start: yurthub would act as the node.
        await using var daemon = await NeverTalkedToAsync(api, api.Server, $"    certificate-authority: {api.CaFile}", "    {}", "does not have appropriate auth credentials in kubeconfig");

        Assert.Equal(0, daemon.Ctl("status").Code);
    }

    /// <summary>yurtnetd given this kubeconfig logs <paramref name="why"/> and never sends the API a request; it serves on.</summary>
    private static async Task<DaemonProcess> NeverTalkedToAsync(ApiServerDouble api, Uri server, string clusterLines, string userLines, string why)
    {
        var daemon = await DaemonProcess.StartAsync(KubeconfigJson(WriteKubeconfig(api.Directory, server, clusterLines, userLines), api));
        try
        {
            Assert.True(await daemon.WaitForLogAsync(why), daemon.Log);
            Assert.DoesNotContain(api.Requests, r => r.Path.StartsWith("/api/", StringComparison.Ordinal));
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }
}
