using System.Buffers;
using Orleans.Serialization;
using Orleans.Storage;

namespace Tlc.Silo.Storage;

/// <summary>
/// How Tlc's grain state is serialised, on every storage (the embedded file log, Azure blobs): Orleans' compact binary
/// format behind a 4-byte mark, instead of the system-wide default of JSON with type names (which made a one-item delta
/// of a job segment 821 bytes and a 1,024-item snapshot half a megabyte). State written before — JSON, without the mark —
/// is still read, by the default serializer.
/// </summary>
/// <param name="serializer">Orleans' serializer.</param>
/// <param name="legacy">The serializer state without the mark was written with (the system-wide default).</param>
public sealed class TlcGrainStorageSerializer(Serializer serializer, IGrainStorageSerializer legacy) : IGrainStorageSerializer
{
    private static ReadOnlySpan<byte> Mark => "TLCB"u8;

    /// <inheritdoc />
    public BinaryData Serialize<T>(T? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write(Mark);
        serializer.Serialize(value, buffer);
        return new BinaryData(buffer.WrittenMemory);
    }

    /// <inheritdoc />
    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var bytes = input.ToMemory();
        return bytes.Span.StartsWith(Mark) ? serializer.Deserialize<T>(bytes[Mark.Length..]) : legacy.Deserialize<T>(input);
    }
}
