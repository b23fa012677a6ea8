using System.Net.Sockets;

namespace Yurtnet.TestSupport;

/// <summary>Raw Unix-socket clients for tests that misbehave on purpose (floods, stalls, half frames).</summary>
public static class RawClient
{
    /// <summary>
    /// Connects to <paramref name="path"/>, retrying while the listen backlog is full for a moment
    /// (the kernel answers EAGAIN on a non-blocking connect), as a real flooding client would.
    /// </summary>
    public static async Task<Socket> ConnectAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
                return socket;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TryAgain or SocketError.WouldBlock && attempt < 200)
            {
                socket.Dispose();
                await Task.Delay(5);
            }
        }
    }

    /// <summary>Opens <paramref name="count"/> connections that send nothing; dispose the list to close them all.</summary>
    public static async Task<RawClients> ConnectManyAsync(string path, int count)
    {
        var clients = new RawClients();
        try
        {
            for (var i = 0; i < count; i++)
            {
                clients.Add(await ConnectAsync(path));
            }

            return clients;
        }
        catch
        {
            clients.Dispose();
            throw;
        }
    }
}

/// <summary>Connections opened together by <see cref="RawClient.ConnectManyAsync"/>, closed together.</summary>
public sealed class RawClients : List<Socket>, IDisposable
{
    public void Dispose() => ForEach(s => s.Dispose());
}
