using System.Reflection;

namespace Yurtnet.Daemon.Configuration;

/// <summary>This yurtnetd's version, as the build stamped it: what status, the metrics and the Node report name.</summary>
internal static class DaemonVersion
{
    public static string Text { get; } = typeof(DaemonVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
}
