using System.IO.Pipelines;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Yurtnet.Daemon.Appliance;
using Yurtnet.Daemon.Cluster;

namespace Yurtnet.Daemon.Tests.Cluster;

public sealed class KubeListWatchTests
{
    [Fact]
    public async Task Cloud_coming_back_online_ends_the_wait_after_failures_and_lists_at_once()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var cloud = new CloudHealth(new HealthModel(time), time, NullLogger<CloudHealth>.Instance);
        var transport = new Transport { Failing = true };
        var watch = new KubeListWatch(transport, cloud, "api/v1/nodes", "", TimeSpan.FromMinutes(5), time, NullLogger.Instance);
        var listed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var run = watch.RunAsync((_, _) => { listed.TrySetResult(); return Task.CompletedTask; }, (_, _, _) => Task.CompletedTask, stop.Token);

        // Six failed lists, each followed by its backoff on the test's clock: the sixth wait is 16 to 32 seconds.
        for (var attempt = 1; attempt < 6; attempt++)
        {
            Assert.True(await Eventually.WaitForAsync(() => Volatile.Read(ref transport.Lists) >= attempt), $"list {attempt}");
            Assert.True(await Eventually.WaitForAsync(() =>
            {
                time.Advance(TimeSpan.FromSeconds(1));
                return Volatile.Read(ref transport.Lists) > attempt;
            }), $"list {attempt + 1} after its backoff");
        }

        transport.Failing = false;
        cloud.ReportLive();

        // The clock stands still: only the relist request can end the wait.
        Assert.Same(listed.Task, await Task.WhenAny(listed.Task, Task.Delay(TimeSpan.FromSeconds(10))));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_watch_that_keeps_failing_while_the_cloud_flaps_online_is_let_off_its_wait_once_per_run_of_failures()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var cloud = new CloudHealth(new HealthModel(time), time, NullLogger<CloudHealth>.Instance);
        var transport = new Transport { Failing = true };
        var watch = new KubeListWatch(transport, cloud, "api/v1/nodes", "", TimeSpan.FromMinutes(5), time, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = watch.RunAsync((_, _) => Task.CompletedTask, (_, _, _) => Task.CompletedTask, stop.Token);
        Assert.True(await Eventually.WaitForAsync(() => Volatile.Read(ref transport.Lists) >= 1));

        // Other watches' events bring the cloud back: the first time, this watch lists at once (and fails again).
        cloud.ReportLive();
        Assert.True(await Eventually.WaitForAsync(() => Volatile.Read(ref transport.Lists) >= 2), "the first return of the cloud cuts the wait");
        Assert.True(await Eventually.WaitForAsync(() => cloud.State != CloudState.Online), "the failed list takes the cloud offline again");

        // And again: this time the failing watch keeps its backoff (the clock stands still, so no list may come).
        cloud.ReportLive();
        Assert.Equal(CloudState.Online, cloud.State);
        Assert.False(await Eventually.WaitForAsync(() => Volatile.Read(ref transport.Lists) >= 3, TimeSpan.FromMilliseconds(500)), "a second cut in one run of failures");

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await Eventually.WaitForAsync(() => Volatile.Read(ref transport.Lists) >= 3), "the backoff still ends");
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Lists fail while <see cref="Failing"/>, else answer an empty list; a watch stays open without events.</summary>
    private sealed class Transport : IKubeTransport
    {
        public int Lists;
        private readonly Pipe _silent = new();

        public bool Failing { get; set; }

        public Uri BaseUri { get; } = new("https://127.0.0.1:6443/");

        public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.Query.Contains("watch=true", StringComparison.Ordinal))
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(_silent.Reader.AsStream()) });
            }

            // Read before the count: the test changes Failing only once the count says this list has been answered.
            var failing = Failing;
            Interlocked.Increment(ref Lists);
            return failing
                ? Task.FromException<HttpResponseMessage>(new HttpRequestException("connection refused"))
                : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"kind":"NodeList","metadata":{"resourceVersion":"7"},"items":[]}""") });
        }
    }
}
