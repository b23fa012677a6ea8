using Microsoft.Extensions.Configuration;
using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Tests.Configuration;

/// <summary>A settings file given as key/value pairs (<c>cluster:qps</c>), read the way yurtnetd reads its file.</summary>
internal static class SettingsFile
{
    public static DaemonOptions Read(out List<string> problems, params (string Key, string Value)[] values) =>
        Read(out problems, "gw-host", values);

    public static DaemonOptions Read(out List<string> problems, string? nodeNameVariable, params (string Key, string Value)[] values) =>
        DaemonOptions.Read(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build(), nodeNameVariable, "GW-Host", out problems);
}
