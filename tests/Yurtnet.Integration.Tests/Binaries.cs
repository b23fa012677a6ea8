namespace Yurtnet.Integration.Tests;

/// <summary>The published NativeAOT executables under test (YURTNET_BIN, set by 'make test').</summary>
internal static class Binaries
{
    public static string Directory { get; } = Locate();

    public static string Plugin => Path.Combine(Directory, "yurtnet");
    public static string Daemon => Path.Combine(Directory, "yurtnetd");
    public static string Ctl => Path.Combine(Directory, "yurtnetctl");

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("YURTNET_BIN");
        var dir = configured;
        if (string.IsNullOrEmpty(dir))
        {
            // From tests/Yurtnet.Integration.Tests/bin/<cfg>/net10.0 up to the repository root.
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Appliance.sln")))
            {
                root = root.Parent;
            }

            dir = Path.Combine(root?.FullName ?? ".", "out", "linux-x64");
        }

        if (!File.Exists(Path.Combine(dir, "yurtnet")))
        {
            throw new InvalidOperationException($"published binaries not found in {dir}: run 'make publish' (or 'make test', which does it)");
        }

        return dir;
    }
}
