using System.Globalization;
using System.Net.Sockets;

namespace Yurtnet.Daemon.CniApi;

/// <summary>
/// The listening socket systemd passes under socket activation (<c>LISTEN_PID</c>, <c>LISTEN_FDS</c>, first fd 3).
/// With it, connections made while yurtnetd restarts wait in the kernel's backlog instead of failing.
/// </summary>
internal static class InheritedListener
{
    private const int FirstDescriptor = 3;

    /// <summary>Takes the passed socket if systemd passed one to this process; the variables are then cleared so children do not inherit them.</summary>
    public static bool TryTake(out Socket listener)
    {
        listener = null!;
        var pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        var fds = Environment.GetEnvironmentVariable("LISTEN_FDS");
        if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var listenPid) || listenPid != Environment.ProcessId
            || !int.TryParse(fds, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
        {
            return false;
        }

        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        var socket = new Socket(new SafeSocketHandle(FirstDescriptor, ownsHandle: true));
        if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Stream)
        {
            var what = $"{socket.AddressFamily}/{socket.SocketType}";
            socket.Dispose();
            throw new InvalidOperationException($"systemd passed a {what} socket as fd {FirstDescriptor}; yurtnetd.socket must be a ListenStream= Unix socket");
        }

        listener = socket;
        return true;
    }
}
