using Microsoft.Win32.SafeHandles;
using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>
/// Where a DEL goes when yurtnetd is unreachable: one file per attachment, written to a temporary name,
/// fsync'd, renamed into place and the directory fsync'd, so it survives a power cut once DEL has returned.
/// </summary>
internal static class ReleaseSpool
{
    public static string Write(string spoolDir, SpooledRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        Directory.CreateDirectory(spoolDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var name = SpooledRelease.FileNameFor(release.ContainerId, release.IfName);
        var final = Path.Combine(spoolDir, name);
        var temp = Path.Combine(spoolDir, SpooledRelease.TempFileNameFor(name, Environment.ProcessId));
        var bytes = ClientFrameJson.Encode(release);
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, final, overwrite: true);
        }
        catch
        {
            // A half-written temporary file is never taken for a release; remove it if we still can.
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
            }

            throw;
        }

        FsyncDirectory(spoolDir);
        return final;
    }

    /// <summary>fsyncs a directory, making the renames and creations in it durable.</summary>
    private static void FsyncDirectory(string path)
    {
        var fd = Interop.Open(path, Interop.O_RDONLY | Interop.O_DIRECTORY | Interop.O_CLOEXEC);
        if (fd < 0)
        {
            throw Interop.LastError($"open directory {path}");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Interop.Fsync(handle) != 0)
        {
            throw Interop.LastError($"fsync directory {path}");
        }
    }
}
