namespace Yurtnet.Daemon.State;

/// <summary>The kernel's boot id: attachments recorded under another boot id predate a reboot and cannot be live.</summary>
internal sealed record BootId(string Value)
{
    public const string KernelPath = "/proc/sys/kernel/random/boot_id";

    public static BootId ReadKernel() => new(File.Exists(KernelPath) ? File.ReadAllText(KernelPath).Trim() : "unknown");
}
