namespace Yurtnet.Cni;

/// <summary>
/// The plugin's log: one line per event on stderr (stdout carries only the result or the error), each tagged
/// with the invocation's identity so a line in containerd's journal can be traced to its pod.
/// </summary>
internal sealed class PluginLog(CniEnvironment environment, TextWriter stderr)
{
    private string _context = $"cmd={environment.Command.ToString().ToUpperInvariant()} containerId={environment.ContainerId} ifName={environment.IfName} netns={environment.Netns}"
        + (environment.Args.PodName is null ? "" : $" pod={environment.Args.PodNamespace}/{environment.Args.PodName}");

    public void Network(string name) => _context += $" network={name}";

    public void Info(string message) => Write("info", message);

    public void Warn(string message) => Write("warn", message);

    public void Error(string message) => Write("error", message);

    private void Write(string level, string message) =>
        stderr.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} yurtnet[{Environment.ProcessId}] {level} {message} {_context}");
}
