// <linux/gpio.h>, the GPIO character device ABI (a test compiles the header and compares); the calls are in Interop.ioctl.cs.
using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal const uint GPIO_GET_CHIPINFO_IOCTL = 0x8044B401;      // _IOR(0xB4, 0x01, struct gpiochip_info)
    internal const uint GPIO_GET_LINEINFO_IOCTL = 0xC048B402;      // _IOWR(0xB4, 0x02, struct gpioline_info), ABI v1
    internal const uint GPIO_V2_GET_LINEINFO_IOCTL = 0xC100B405;   // _IOWR(0xB4, 0x05, struct gpio_v2_line_info), Linux 5.10+

    internal const int GpioMaxNameSize = 32;

    /// <summary><c>struct gpiochip_info</c>: name, label, number of lines.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 68)]
    internal struct GpioChipInfo
    {
        public NameBuffer Name;
        public NameBuffer Label;
        public uint Lines;
    }

    /// <summary><c>struct gpioline_info</c> (ABI v1): offset, flags, name, consumer.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 72)]
    internal struct GpioLineInfoV1
    {
        public uint Offset;
        public uint Flags;
        public NameBuffer Name;
        public NameBuffer Consumer;
    }

    /// <summary><c>struct gpio_v2_line_info</c>: name, consumer, offset, then attributes we do not read.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    internal struct GpioLineInfoV2
    {
        public NameBuffer Name;
        public NameBuffer Consumer;
        public uint Offset;
    }

    [System.Runtime.CompilerServices.InlineArray(GpioMaxNameSize)]
    internal struct NameBuffer
    {
        private byte _first;

        /// <summary>The NUL-terminated string the kernel wrote.</summary>
        public readonly string Text
        {
            get
            {
                ReadOnlySpan<byte> bytes = this;
                var end = bytes.IndexOf((byte)0);
                return System.Text.Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
            }
        }
    }
}
