using Yurtnet.Daemon.Configuration;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.CniApi;

/// <summary>The socket the plugin and the CLI talk to, and the limits each connection meets.</summary>
internal sealed record CniApiOptions
{
    /// <summary>The top-level keys of yurtnetd.json that this component reads.</summary>
    public static readonly string[] Keys = ["socket", "requestTimeout", "maxConcurrentRequests", "maxConnections", "idleTimeout", "maxFrameBytes", "allowedUids"];

    /// <summary>The Unix socket; its directory is created 0700, the socket is 0600.</summary>
    public string Socket { get; init; } = "/run/yurtnet/cni.sock";

    /// <summary>Deadline for one request, from its first byte to its answer.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests processed at once; more wait (within their deadline) for a slot.</summary>
    public int MaxConcurrentRequests { get; init; } = 32;

    /// <summary>Connections open at once; one more is cut off at once, with the reason logged.</summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>How long a client may keep a connection open without sending a request (before its first, between two).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest request frame accepted.</summary>
    public int MaxFrameBytes { get; init; } = FrameCodec.DefaultMaxFrameBytes;

    /// <summary>User ids allowed to use the socket (checked with SO_PEERCRED).</summary>
    public IReadOnlyList<uint> AllowedUids { get; init; } = [0];

    public static CniApiOptions Read(SettingsReader settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var defaults = new CniApiOptions();
        return new CniApiOptions
        {
            Socket = settings.AbsolutePath("socket", defaults.Socket),
            RequestTimeout = settings.Duration("requestTimeout", defaults.RequestTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(2)),
            MaxConcurrentRequests = settings.Integer("maxConcurrentRequests", defaults.MaxConcurrentRequests, 1, 1024),
            MaxConnections = settings.Integer("maxConnections", defaults.MaxConnections, 16, 65536),
            IdleTimeout = settings.Duration("idleTimeout", defaults.IdleTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            MaxFrameBytes = settings.Integer("maxFrameBytes", defaults.MaxFrameBytes, 1024, 16 * 1024 * 1024),
            AllowedUids = settings.Uids("allowedUids", defaults.AllowedUids),
        };
    }
}
