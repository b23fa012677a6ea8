using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Yurtnet.Netlink;

/// <summary>
/// An open network namespace (a file such as <c>/run/netns/cni-1234</c> or <c>/proc/PID/ns/net</c>).
/// </summary>
/// <remarks>
/// <c>setns</c> changes the namespace of the calling OS thread only, and .NET may move work between threads at any
/// await. So <see cref="Run{T}"/> enters the namespace on a dedicated thread that runs one synchronous action and
/// then ends; if switching back fails the thread still ends and is never reused (the contract of Go's
/// <c>ns.Do</c>). Netlink sockets keep the namespace they were created in, so one entry is enough for a whole
/// ADD: <see cref="OpenRouteSocket"/>.
/// </remarks>
public sealed class NetworkNamespace : IDisposable
{
    private readonly SafeFileDescriptor _fd;

    private NetworkNamespace(SafeFileDescriptor fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The file this namespace was opened from.</summary>
    public string Path { get; }

    internal int DescriptorNumber => _fd.Number;

    /// <summary>Opens a namespace file.</summary>
    /// <exception cref="NetlinkException">It cannot be opened; <see cref="NetlinkException.IsNotFound"/> when it does not exist.</exception>
    public static NetworkNamespace Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var raw = Interop.Open(path, Interop.O_RDONLY | Interop.O_CLOEXEC);
        if (raw < 0)
        {
            throw new NetlinkException($"open netns {path}", Marshal.GetLastPInvokeError());
        }

        return new NetworkNamespace(new SafeFileDescriptor(raw), path);
    }

    /// <summary>The calling thread's namespace (the host's, in the plugin).</summary>
    public static NetworkNamespace OpenCurrent() => Open("/proc/thread-self/ns/net");

    /// <summary>Runs <paramref name="action"/> inside this namespace on a dedicated thread and returns its result.</summary>
    public T Run<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var original = OpenCurrent();
                if (Interop.Setns(_fd, Interop.CLONE_NEWNET) != 0)
                {
                    throw new NetlinkException($"setns to netns {Path}", Marshal.GetLastPInvokeError());
                }

                try
                {
                    result = action();
                }
                finally
                {
                    // If this fails the thread is in the wrong namespace, but it ends right here and is never reused.
                    _ = Interop.Setns(original._fd, Interop.CLONE_NEWNET);
                }
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            IsBackground = true,
            Name = "netns",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>Opens a NETLINK_ROUTE socket that acts inside this namespace.</summary>
    public NetlinkSocket OpenRouteSocket() => Run(() => NetlinkSocket.Open($"netns {Path}"));

    /// <inheritdoc/>
    public void Dispose() => _fd.Dispose();
}
