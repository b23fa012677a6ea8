using System.Globalization;
using System.Net;
using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Metrics;

/// <summary>
/// The <c>metrics</c> section: where yurtnetd's metrics go, in the Prometheus text format. Both are off unless set:
/// an HTTP listener (<c>listen</c>, loopback unless an address says otherwise) and a node_exporter textfile
/// (<c>textfileDir</c>), for gateways that run node_exporter and open no new port.
/// </summary>
internal sealed record MetricsOptions
{
    /// <summary>The top-level key of yurtnetd.json that this component reads.</summary>
    public static readonly string[] Keys = ["metrics"];

    /// <summary>The keys of the section.</summary>
    public static readonly string[] SectionKeys = ["listen", "textfileDir", "textfileInterval"];

    /// <summary>The address and port to serve <c>/metrics</c> on (a port alone: loopback), or null for no listener.</summary>
    public IPEndPoint? Listen { get; init; }

    /// <summary>node_exporter's textfile directory, where <c>yurtnet.prom</c> is written; null for none.</summary>
    public string? TextfileDir { get; init; }

    /// <summary>How often the textfile is written again.</summary>
    public TimeSpan TextfileInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>True when the metrics go somewhere: only then are they collected.</summary>
    public bool Enabled => Listen is not null || TextfileDir is not null;

    /// <summary>The file written in <see cref="TextfileDir"/>; node_exporter reads <c>*.prom</c>.</summary>
    public const string TextfileName = "yurtnet.prom";

    public static MetricsOptions Read(SettingsReader settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var section = settings.Section("metrics");
        if (!section.Exists)
        {
            return new MetricsOptions();
        }

        section.RejectUnknownKeys(SectionKeys);
        var defaults = new MetricsOptions();
        return new MetricsOptions
        {
            Listen = ReadListen(section),
            TextfileDir = section.OptionalAbsolutePath("textfileDir"),
            TextfileInterval = section.Duration("textfileInterval", defaults.TextfileInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
        };
    }

    private static IPEndPoint? ReadListen(SettingsReader section)
    {
        if (section.Text("listen") is not { } text)
        {
            return null;
        }

        // A port alone is loopback: nothing is served beyond the box unless an address says so.
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= IPEndPoint.MaxPort)
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        // Without a port (127.0.0.1, ::1) the parse gives port 0.
        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port > 0)
        {
            return endpoint;
        }

        section.Problem("listen", string.Create(CultureInfo.InvariantCulture, $"\"{text}\" must be a port (served on loopback only) or ADDRESS:PORT with an IP address, e.g. 9464 or 127.0.0.1:9464, [::1]:9464, or 0.0.0.0:9464 for every address"));
        return null;
    }
}
