using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Yurtnet.Integration.Tests;

/// <summary>One exec of the real plugin, as a container runtime does it.</summary>
internal sealed record CniRun(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;

    public int ErrorCode => Json.GetProperty("code").GetInt32();

    public string ErrorMessage => Json.GetProperty("msg").GetString()!;

    public static CniRun Exec(string command, JsonNode? conf, string containerId = "", string netns = "", string ifName = "eth0", string? args = null, Dictionary<string, string?>? env = null, string? rawStdin = null, string? inNetns = null)
    {
        // inNetns: the plugin runs inside that namespace (ip netns exec), as if it were the host's.
        var start = new ProcessStartInfo(inNetns is null ? Binaries.Plugin : "ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (inNetns is not null)
        {
            foreach (var arg in new[] { "netns", "exec", inNetns, Binaries.Plugin })
            {
                start.ArgumentList.Add(arg);
            }
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("CNI_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["CNI_COMMAND"] = command;
        start.Environment["CNI_CONTAINERID"] = ContainerId(containerId, conf);
        start.Environment["CNI_NETNS"] = netns;
        start.Environment["CNI_IFNAME"] = ifName;
        start.Environment["CNI_PATH"] = "/opt/cni/bin";
        if (args is not null)
        {
            start.Environment["CNI_ARGS"] = args;
        }

        foreach (var (key, value) in env ?? [])
        {
            start.Environment[key] = value;
            if (value is null)
            {
                start.Environment.Remove(key);
            }
        }

        using var process = Process.Start(start)!;
        try
        {
            process.StandardInput.Write(rawStdin ?? conf?.ToJsonString() ?? "");
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The plugin refused its environment before reading stdin and has exited (a broken pipe), as it may: Go's
            // os/exec, which containerd uses, ignores that too.
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return new CniRun(process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>
    /// The container id the plugin sees for a test's short id ("c1") on a <see cref="TestNetwork"/>: made unique by
    /// the network's name, as a runtime's ids are unique on a host. Tests run in parallel, and two sandboxes of one
    /// id would share a host veth name (derived from the id) and tear down each other's pods.
    /// </summary>
    public static string ContainerId(string id, JsonNode? conf) =>
        id.Length is > 0 and <= 24 && conf?["name"]?.GetValue<string>() is { } network && network.StartsWith("yt-", StringComparison.Ordinal)
            && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            ? $"{id}.{network}"
            : id;

    /// <summary>Pod args as containerd passes them.</summary>
    public static string PodArgs(string name, string ns = "default", string? uid = null) =>
        $"IgnoreUnknown=1;K8S_POD_NAMESPACE={ns};K8S_POD_NAME={name};K8S_POD_INFRA_CONTAINER_ID=x" + (uid is null ? "" : $";K8S_POD_UID={uid}");

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}
