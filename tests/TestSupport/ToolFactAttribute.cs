namespace Yurtnet.TestSupport;

/// <summary>
/// A test that needs a program on PATH (a compiler, a reference plugin). Skipped with the reason when it is
/// missing on a developer machine; when CI=true it always runs (and fails if the tool is missing), because
/// <c>make deps</c> installs it there.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool)
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
        if (!onPath && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"needs {tool} on PATH: run 'make deps' (CI=true runs it always)";
        }
    }
}
