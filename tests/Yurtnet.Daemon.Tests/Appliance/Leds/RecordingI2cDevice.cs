using System.Device.I2c;

namespace Yurtnet.Daemon.Tests.Appliance.Leds;

/// <summary>An I2C device in memory: register writes are recorded, reads return the last value written to a register.</summary>
internal sealed class RecordingI2cDevice(int address) : I2cDevice
{
    private readonly byte[] _registers = new byte[32];
    private byte _pointer;

    public List<(byte Register, byte Value)> Writes { get; } = [];

    public override I2cConnectionSettings ConnectionSettings { get; } = new(1, address);

    public override byte ReadByte() => _registers[_pointer];

    public override void Read(Span<byte> buffer)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = _registers[(_pointer + i) % _registers.Length];
        }
    }

    public override void WriteByte(byte value) => _pointer = value;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _pointer = buffer[0];
        for (var i = 1; i < buffer.Length; i++)
        {
            var register = (byte)((_pointer + i - 1) % _registers.Length);
            _registers[register] = buffer[i];
            Writes.Add((register, buffer[i]));
        }
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        _pointer = writeBuffer[0];
        Read(readBuffer);
    }
}
