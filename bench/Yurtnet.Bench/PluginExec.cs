using System.Diagnostics;

namespace Yurtnet.Bench;

/// <summary>Runs a CNI plugin the way containerd does (exec, environment, stdin), and the host's tools.</summary>
internal static class PluginExec
{
    /// <summary>One plugin exec; returns milliseconds from start to exit. A failed exec aborts the bench.</summary>
    public static double Cni(string plugin, string command, string stdin, string containerId, string netns, string args, string cniPath)
    {
        var start = new ProcessStartInfo(plugin) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["CNI_COMMAND"] = command;
        start.Environment["CNI_CONTAINERID"] = containerId;
        start.Environment["CNI_NETNS"] = netns;
        start.Environment["CNI_IFNAME"] = "eth0";
        start.Environment["CNI_PATH"] = cniPath;
        start.Environment["CNI_ARGS"] = args;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(start)!;
        try
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // The plugin exited without reading all of stdin (bridge's VERSION may): its exit code and output decide.
        }

        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{plugin} {command} failed ({p.ExitCode}): {stdout.Result} {stderr.Result}");
        }

        return elapsed;
    }

    /// <summary>A host command (ip, kill); its outcome is not checked.</summary>
    public static void Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in command.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        p.WaitForExit();
    }
}
