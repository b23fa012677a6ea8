
namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// Reads yurthub's cloud health metric from its management port (local, unauthenticated) every
/// <see cref="ClusterOptions.HealthInterval"/>, and reports it to <see cref="CloudHealth"/>.
/// </summary>
internal sealed class HubHealthProbe(CloudHealth cloud, ClusterOptions options, TimeProvider time)
{
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2), UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(5),
            DefaultRequestHeaders = { { "User-Agent", ClusterClient.UserAgent } },
        };
        var metrics = new Uri(options.HubManagement, "metrics");
        using var timer = new PeriodicTimer(options.HealthInterval, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            HubReport report;
            try
            {
                report = CloudVerdict.FromMetrics(await http.GetStringAsync(metrics, stoppingToken));
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                report = HubReport.Unreachable;
            }

            cloud.ReportHub(report);
            try
            {
                await timer.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
