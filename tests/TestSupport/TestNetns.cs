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
        var start = new ProcessStartInfo(command[0]);
        foreach (var a in command.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        return Execute(start, null);
    }

    /// <summary>Runs a command with environment variables and stdin; returns (exit code, stdout+stderr).</summary>
    public static (int Code, string Output) RunWithInput(string stdin, string command, params (string Key, string Value)[] environment)
    {
        var start = new ProcessStartInfo(command);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Execute(start, stdin);
    }

    private static (int Code, string Output) Execute(ProcessStartInfo start, string? stdin)
    {
        start.RedirectStandardInput = stdin is not null;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var p = Process.Start(start)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }

        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    public void Dispose() => Run("ip", "netns", "delete", Name);
}
