using System.Net.Sockets;

namespace Yurtnet.TestSupport;

/// <summary>A listening Unix socket for fake daemons.</summary>
public static class UnixListener
{
    /// <summary>Binds <paramref name="path"/> and listens with <paramref name="backlog"/>.</summary>
    public static Socket Listen(string path, int backlog)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(backlog);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }
}
