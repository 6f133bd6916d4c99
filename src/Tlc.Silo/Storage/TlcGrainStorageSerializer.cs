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
        Serialize(value, buffer);
        return new BinaryData(buffer.WrittenMemory);
    }

    /// <summary>Writes <paramref name="value"/> to <paramref name="output"/> (no intermediate copy).</summary>
    public void Serialize<T>(T? value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(Mark);
        serializer.Serialize(value, output);
    }

    /// <inheritdoc />
    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Deserialize<T>(input.ToMemory());
    }

    /// <summary>Reads a value from <paramref name="bytes"/>, which may be reused once this returns.</summary>
    public T? Deserialize<T>(ReadOnlyMemory<byte> bytes) =>
        bytes.Span.StartsWith(Mark) ? serializer.Deserialize<T>(bytes[Mark.Length..]) : legacy.Deserialize<T>(new BinaryData(bytes.ToArray()));
}
