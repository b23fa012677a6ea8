using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Yurtnet.Daemon.Tests;

/// <summary>The journal's event ids name the component that logged them, and each id means one message.</summary>
public sealed class LogEventIdTests
{
    /// <summary>Each component's range (docs/architecture.md lists them); Ipam is pure and logs nothing.</summary>
    private static readonly Dictionary<string, (int First, int Last)> Ranges = new()
    {
        ["Yurtnet.Daemon.CniApi"] = (1000, 1999),
        ["Yurtnet.Daemon.Ipam"] = (2000, 2999),
        ["Yurtnet.Daemon.State"] = (3000, 3999),
        ["Yurtnet.Daemon.Cluster"] = (4000, 4999),
        ["Yurtnet.Daemon.Reconcile"] = (5000, 5999),
        ["Yurtnet.Daemon.Appliance"] = (6000, 6999),
        ["Yurtnet.Daemon.Peers"] = (7000, 7999),
        ["Yurtnet.Daemon.Metrics"] = (8000, 8999),
    };

    private static List<(MethodInfo Method, LoggerMessageAttribute Message)> Messages() =>
        typeof(Yurtnet.Daemon.State.LeaseKeeper).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Message: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Message is not null)
            .Select(x => (x.Method, x.Message!))
            .ToList();

    [Fact]
    public void Every_log_message_has_an_event_id_in_its_components_range()
    {
        var messages = Messages();
        Assert.NotEmpty(messages);
        var misplaced = messages
            .Select(m => (m.Method, m.Message.EventId, Component: Ranges.Keys.FirstOrDefault(ns => (m.Method.DeclaringType!.Namespace ?? "").StartsWith(ns, StringComparison.Ordinal))))
            .Where(m => m.Component is null || m.EventId < Ranges[m.Component].First || m.EventId > Ranges[m.Component].Last)
            .Select(m => $"{m.Method.DeclaringType!.FullName}.{m.Method.Name}: {m.EventId}")
            .ToList();
        Assert.Empty(misplaced);
    }

    [Fact]
    public void No_two_log_messages_share_an_event_id()
    {
        var shared = Messages().GroupBy(m => m.Message.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => $"{m.Method.DeclaringType!.Name}.{m.Method.Name}"))}")
            .ToList();
        Assert.Empty(shared);
    }

    [Fact]
    public void Log_messages_live_in_the_Log_partial_of_their_type()
    {
        var source = Path.Combine(SourceRoot(), "src", "Yurtnet.Daemon");
        var strays = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.EndsWith(".Log.cs", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("[LoggerMessage(", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(strays);
    }

    private static string SourceRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Appliance.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"no Appliance.sln above {AppContext.BaseDirectory}");
    }
}
