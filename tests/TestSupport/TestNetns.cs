using System.Diagnostics;

namespace Yurtnet.TestSupport;

/// <summary>A fresh network namespace under /run/netns for one test, removed on dispose.</summary>
public sealed class TestNetns : IDisposable
{
    public TestNetns(string prefix = "ytt")
    {
        Name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 40)];
        Run("ip", "netns", "add", Name);
    }

    public string Name { get; }

    public string Path => $"/run/netns/{Name}";

    /// <summary>Runs a command inside the namespace; returns (exit code, stdout+stderr).</summary>
    public (int Code, string Output) Exec(params string[] command) => Run(["ip", "netns", "exec", Name, .. command]);

    public static (int Code, string Output) Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    public void Dispose() => Run("ip", "netns", "delete", Name);
}
