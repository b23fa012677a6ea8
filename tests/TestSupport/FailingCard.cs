using System.Diagnostics;

namespace Yurtnet.TestSupport;

/// <summary>
/// A small ext4 file system on a loop device, mounted with <c>errors=remount-ro</c> as gateways mount their flash:
/// <see cref="Fail"/> raises a real file-system error (ext4's <c>trigger_fs_error</c>), and the kernel remounts it
/// read-only under the open files, exactly as it does when a card starts failing. Root only; removed on dispose.
/// </summary>
public sealed class FailingCard : IDisposable
{
    private readonly string _image;

    public FailingCard(int megabytes = 16)
    {
        Path = Directory.CreateTempSubdirectory("yurtnet-card-").FullName;
        _image = Path + ".img";
        using (var image = File.Create(_image))
        {
            image.SetLength(megabytes * 1024L * 1024L);
        }

        try
        {
            Run("mkfs.ext4", "-q", "-F", _image);
            Run("mount", "-o", "loop,errors=remount-ro", _image, Path);
        }
        catch
        {
            Directory.Delete(Path, recursive: true);
            File.Delete(_image);
            throw;
        }
    }

    public string Path { get; }

    /// <summary>Raises a file-system error: the kernel aborts the journal and remounts the card read-only (EROFS from then on).</summary>
    public void Fail()
    {
        var device = System.IO.Path.GetFileName(Output("findmnt", "-n", "-o", "SOURCE", Path).Trim());
        File.WriteAllText($"/sys/fs/ext4/{device}/trigger_fs_error", "1");
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
        File.Delete(_image);
    }

    private static void Run(string command, params string[] arguments) => Output(command, arguments);

    private static string Output(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)}: {error}");
        }

        return output.Result;
    }
}
