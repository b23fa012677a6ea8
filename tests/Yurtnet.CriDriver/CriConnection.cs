using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Yurtnet.CriDriver.Cri;

namespace Yurtnet.CriDriver;

/// <summary>
/// One gRPC channel to a CRI runtime's Unix socket, as kubelet keeps one: HTTP/2 without TLS (h2c) to
/// <c>http://localhost</c>, every connection made by <see cref="SocketsHttpHandler.ConnectCallback"/> to the socket.
/// Every call gets the deadline <see cref="Deadline"/> gives: a runtime that hangs fails the call, not the run.
/// </summary>
internal sealed class CriConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    public CriConnection(string socket, TimeSpan callTimeout)
    {
        CallTimeout = callTimeout;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await unix.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancellationToken);
                    return new NetworkStream(unix, ownsSocket: true);
                }
                catch
                {
                    unix.Dispose();
                    throw;
                }
            },
            ConnectTimeout = callTimeout,
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
    }

    public RuntimeService.RuntimeServiceClient Runtime { get; }

    public TimeSpan CallTimeout { get; }

    /// <summary>Options for one call: its deadline, and the caller's cancellation.</summary>
    public CallOptions Deadline(CancellationToken cancellationToken) =>
        new(deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken);

    public void Dispose() => _channel.Dispose();
}
