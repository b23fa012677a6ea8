// <linux/watchdog.h>: the ioctls of a watchdog device; the calls are in Interop.ioctl.cs and Interop.write.cs.
internal static partial class Interop
{
    internal const uint WDIOC_KEEPALIVE = 0x80045705;   // _IOR('W', 5, int)
    internal const uint WDIOC_SETTIMEOUT = 0xC0045706;  // _IOWR('W', 6, int)
}
