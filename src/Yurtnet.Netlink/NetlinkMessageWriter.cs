using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Yurtnet.Netlink;

/// <summary>
/// Builds one netlink request: the header, the family header and 4-byte-aligned attributes, nested ones
/// included. The buffer is reused for every request on a socket.
/// </summary>
internal sealed class NetlinkMessageWriter
{
    private byte[] _buffer = new byte[1024];
    private int _length;
    private int _messageStart;
    private bool _batching;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Bytes written so far (all the messages of a batch).</summary>
    public int Length => _length;

    /// <summary>
    /// Starts a message. Outside a batch it replaces what was written; inside one (<see cref="StartBatch"/>) it is
    /// appended after the messages before it, so they go to the kernel in one send.
    /// </summary>
    public void Begin(ushort type, ushort flags)
    {
        if (!_batching)
        {
            _length = 0;
        }

        _messageStart = _length;
        var header = new Interop.nlmsghdr { nlmsg_type = type, nlmsg_flags = flags };
        Append(header);
    }

    /// <summary>Completes the message: sets its length and sequence number.</summary>
    public void End(uint sequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_messageStart, 4), (uint)(_length - _messageStart));
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_messageStart + 8, 4), sequence);
    }

    /// <summary>Empties the buffer and appends every following message until <see cref="StopBatch"/>.</summary>
    public void StartBatch()
    {
        _batching = true;
        _length = 0;
        _messageStart = 0;
    }

    public void StopBatch() => _batching = false;

    public void Append<T>(in T value) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value));
        Reserve(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
        Pad();
    }

    public void Attribute(ushort type, ReadOnlySpan<byte> payload)
    {
        var total = 4 + payload.Length;
        Reserve(Align(total));
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length), (ushort)total);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length + 2), type);
        payload.CopyTo(_buffer.AsSpan(_length + 4));
        _length += total;
        Pad();
    }

    public void AttributeU32(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Attribute(type, b);
    }

    public void AttributeU8(ushort type, byte value) => Attribute(type, [value]);

    public void AttributeString(ushort type, string value)
    {
        Span<byte> b = stackalloc byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, b);
        b[^1] = 0;
        Attribute(type, b);
    }

    /// <summary>Opens a nested attribute; pass the result to <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        var start = _length;
        Attribute((ushort)(type | Interop.NLA_F_NESTED), []);
        return start;
    }

    public void EndNested(int start) =>
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), (ushort)(_length - start));

    internal static int Align(int n) => (n + 3) & ~3;

    private void Pad()
    {
        var aligned = Align(_length);
        Reserve(aligned - _length);
        _buffer.AsSpan(_length, aligned - _length).Clear();
        _length = aligned;
    }

    private void Reserve(int more)
    {
        if (_length + more > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
        }
    }
}
