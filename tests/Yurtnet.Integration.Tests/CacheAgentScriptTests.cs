using System.Diagnostics;

namespace Yurtnet.Integration.Tests;

/// <summary>
/// packaging/kubernetes/yurtnet-cache-agent.sh against a kubectl double that keeps the ConfigMap's state in files
/// and records every command: what the script changes in kube-system/yurt-hub-cfg, and what it leaves alone.
/// </summary>
public sealed class CacheAgentScriptTests : IDisposable
{
    private const string FakeKubectl = """
        #!/bin/sh
        # kubectl double: state in $FAKE_KUBE/{rv,agents,label}; every command appended to $FAKE_KUBE/log.
        d=$FAKE_KUBE
        echo "$*" >> "$d/log"
        case "$*" in
            *"get configmap"*resourceVersion*) [ -f "$d/rv" ] && cat "$d/rv"; exit 0 ;;
            *"get configmap"*cache_agents*) cat "$d/agents" 2>/dev/null; exit 0 ;;
            *"get configmap"*labels*) cat "$d/label" 2>/dev/null; exit 0 ;;
            *"patch configmap"*)
                if [ -s "$d/conflicts" ] && [ "$(cat "$d/conflicts")" -gt 0 ]; then
                    echo $(( $(cat "$d/conflicts") - 1 )) > "$d/conflicts"
                    echo $(( $(cat "$d/rv") + 1 )) > "$d/rv"
                    echo 'Error from server (Conflict): the object has been modified' >&2; exit 1
                fi
                exit 0 ;;
            *"create configmap"*|*"label configmap"*) exit 0 ;;
        esac
        echo "kubectl double: unexpected $*" >&2; exit 3
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-kubectl-").FullName;

    private static string Script => Path.Combine(Binaries.RepositoryRoot, "packaging", "kubernetes", "yurtnet-cache-agent.sh");

    private (int Code, string Output, string[] Commands) Run(string? agents, string? label = "yurt-hub-cfg", int conflicts = 0, params string[] args)
    {
        if (agents is not null)
        {
            File.WriteAllText(Path.Combine(_dir, "rv"), "4711");
            File.WriteAllText(Path.Combine(_dir, "agents"), agents);
            File.WriteAllText(Path.Combine(_dir, "label"), label ?? "");
        }

        File.WriteAllText(Path.Combine(_dir, "conflicts"), conflicts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var kubectl = Path.Combine(_dir, "kubectl");
        File.WriteAllText(kubectl, FakeKubectl.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(kubectl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["KUBECTL"] = kubectl;
        start.Environment["FAKE_KUBE"] = _dir;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var log = Path.Combine(_dir, "log");
        return (process.ExitCode, stdout.Result + stderr, File.Exists(log) ? File.ReadAllLines(log) : []);
    }

    private static string Patch(string[] commands) => Assert.Single(commands, c => c.Contains("patch configmap", StringComparison.Ordinal));

    [Fact]
    public void Yurtnet_is_appended_to_the_existing_agents_with_the_label_and_the_version_read()
    {
        var (code, output, commands) = Run("kubelet, flanneld,coredns");

        Assert.True(code == 0, output);
        Assert.Equal(
            """-n kube-system patch configmap yurt-hub-cfg --type merge -p {"metadata":{"resourceVersion":"4711","labels":{"openyurt.io/configmap-name":"yurt-hub-cfg"}},"data":{"cache_agents":"kubelet, flanneld,coredns, yurtnet"}}""",
            Patch(commands));
        Assert.Contains("restart yurtnetd", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Agent_already_listed_or_covered_by_a_star_changes_nothing()
    {
        Assert.DoesNotContain(Run("kubelet, yurtnet ").Commands, c => c.Contains("patch", StringComparison.Ordinal));
        File.Delete(Path.Combine(_dir, "log"));
        var star = Run("*");
        Assert.True(star.Code == 0, star.Output);
        Assert.DoesNotContain(star.Commands, c => c.Contains("patch", StringComparison.Ordinal));
        Assert.Contains("nothing to change", star.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_label_is_added_even_when_the_agent_is_listed()
    {
        var (code, output, commands) = Run("yurtnet", label: "");

        Assert.True(code == 0, output);
        Assert.Equal(
            """-n kube-system patch configmap yurt-hub-cfg --type merge -p {"metadata":{"resourceVersion":"4711","labels":{"openyurt.io/configmap-name":"yurt-hub-cfg"}}}""",
            Patch(commands));
    }

    [Fact]
    public void Missing_configmap_is_created_with_the_agent_and_the_label()
    {
        var (code, output, commands) = Run(agents: null);

        Assert.True(code == 0, output);
        Assert.Contains("-n kube-system create configmap yurt-hub-cfg --from-literal=cache_agents=yurtnet", commands);
        Assert.Contains("-n kube-system label configmap yurt-hub-cfg openyurt.io/configmap-name=yurt-hub-cfg --overwrite", commands);
    }

    [Fact]
    public void Concurrent_change_is_read_again_instead_of_overwritten()
    {
        var (code, output, commands) = Run("kubelet", conflicts: 1);

        Assert.True(code == 0, output);
        var patches = commands.Where(c => c.Contains("patch configmap", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, patches.Count);
        Assert.Contains("\"resourceVersion\":\"4712\"", patches[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Dry_run_changes_nothing_and_a_bad_agent_name_is_refused()
    {
        var dry = Run("kubelet", args: "--dry-run");
        Assert.True(dry.Code == 0, dry.Output);
        Assert.DoesNotContain(dry.Commands, c => c.Contains("patch", StringComparison.Ordinal));
        Assert.Contains("would run:", dry.Output, StringComparison.Ordinal);

        var bad = Run("kubelet", args: "yurtnet/0.1");
        Assert.Equal(2, bad.Code);
        Assert.Contains("is not a User-Agent yurthub can match", bad.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
