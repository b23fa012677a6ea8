using System.Runtime.InteropServices;

internal static partial class Interop
{
    [StructLayout(LayoutKind.Sequential)]
    private struct StatxTimestamp
    {
        public long Seconds;
        public uint Nanoseconds;
        public int Reserved;
    }

    // struct statx of <linux/stat.h>: the same layout on every architecture.
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Statx
    {
        public uint Mask;
        public uint BlockSize;
        public ulong Attributes;
        public uint Links;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
        public ushort Spare0;
        public ulong Inode;
        public ulong Size;
        public ulong Blocks;
        public ulong AttributesMask;
        public StatxTimestamp AccessTime;
        public StatxTimestamp BirthTime;
        public StatxTimestamp ChangeTime;
        public StatxTimestamp ModifyTime;
        public uint RdevMajor;
        public uint RdevMinor;
        public uint DevMajor;
        public uint DevMinor;
        private fixed ulong _spare2[14];
    }

    private const int AT_FDCWD = -100;
    private const uint STATX_INO = 0x100;

    /// <summary><c>statx(2)</c>.</summary>
    [LibraryImport(Libc, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatxCall(int dirfd, string path, int flags, uint mask, out Statx result);

    /// <summary>True when both paths name the same inode on the same device (e.g. two handles of one namespace).</summary>
    internal static bool SameFile(string a, string b) =>
        StatxCall(AT_FDCWD, a, 0, STATX_INO, out var x) == 0
        && StatxCall(AT_FDCWD, b, 0, STATX_INO, out var y) == 0
        && x.Inode == y.Inode && x.DevMajor == y.DevMajor && x.DevMinor == y.DevMinor;
}
