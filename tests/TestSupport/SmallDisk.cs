using System.Diagnostics;

namespace Yurtnet.TestSupport;

/// <summary>
/// A small tmpfs of the test's own (root), to be filled up: a gateway's flash card that ran out of room, for real
/// (the kernel answers ENOSPC). Unmounted and removed on dispose.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private readonly string _filler;

    public SmallDisk(int megabytes = 4)
    {
        Path = Directory.CreateTempSubdirectory("yurtnet-disk-").FullName;
        _filler = System.IO.Path.Combine(Path, ".filler");
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0700", "tmpfs", Path);
    }

    public string Path { get; }

    /// <summary>Writes until the file system refuses: nothing more fits.</summary>
    public void Fill()
    {
        using var file = new FileStream(_filler, FileMode.Append);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                file.Write(block);
            }
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Gives the room back.</summary>
    public void Free() => File.Delete(_filler);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static void Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)}: {error}");
        }
    }
}
