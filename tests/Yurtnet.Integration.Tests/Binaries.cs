namespace Yurtnet.Integration.Tests;

/// <summary>The published NativeAOT executables under test (YURTNET_BIN, set by 'make test').</summary>
internal static class Binaries
{
    public static string Directory { get; } = Locate();

    public static string Plugin => Path.Combine(Directory, "yurtnet");
    public static string Daemon => Path.Combine(Directory, "yurtnetd");
    public static string Ctl => Path.Combine(Directory, "yurtnetctl");

    /// <summary>The repository checkout the tests run from.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Appliance.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new InvalidOperationException($"no Appliance.sln above {AppContext.BaseDirectory}");
    }

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("YURTNET_BIN");
        var dir = configured;
        if (string.IsNullOrEmpty(dir))
        {
            dir = Path.Combine(FindRepositoryRoot(), "out", "linux-x64");
        }

        if (!File.Exists(Path.Combine(dir, "yurtnet")))
        {
            throw new InvalidOperationException($"published binaries not found in {dir}: run 'make publish' (or 'make test', which does it)");
        }

        return dir;
    }
}
