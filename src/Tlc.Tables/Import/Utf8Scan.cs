using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Tlc.Tables.Import;

/// <summary>Finds the lines of a text input that hold bytes that are not valid UTF-8 (for the skip policy of import jobs).</summary>
internal static class Utf8Scan
{
    /// <summary>
    /// Reads <paramref name="stream"/> to its end and returns each line holding invalid UTF-8 (numbered from
    /// <paramref name="firstLine"/> at the stream's start) with the problem (its first bad byte and that byte's offset,
    /// counted from <paramref name="startOffset"/>); empty when all of it is valid.
    /// </summary>
    public static async Task<Dictionary<long, string>> InvalidLinesAsync(Stream stream, long firstLine, long startOffset, CancellationToken cancellationToken)
    {
        const int size = 1 << 16;
        var result = new Dictionary<long, string>();
        var bytes = ArrayPool<byte>.Shared.Rent(size);
        var chars = ArrayPool<char>.Shared.Rent(size);
        try
        {
            var have = 0;
            var offset = startOffset;
            var line = firstLine;
            while (true)
            {
                var read = await stream.ReadAsync(bytes.AsMemory(have, size - have), cancellationToken).ConfigureAwait(false);
                var final = read == 0;
                have += read;
                var pos = Scan(bytes.AsSpan(0, have), chars, final, offset, ref line, result);
                bytes.AsSpan(pos, have - pos).CopyTo(bytes);
                offset += pos;
                have -= pos;
                if (final)
                {
                    return result;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Scans <paramref name="span"/>; returns how many bytes it consumed (an incomplete sequence at the end is left unless final).</summary>
    private static int Scan(ReadOnlySpan<byte> span, char[] chars, bool final, long offset, ref long line, Dictionary<long, string> result)
    {
        var pos = 0;
        while (pos < span.Length)
        {
            var status = Utf8.ToUtf16(span[pos..], chars, out var consumed, out _, replaceInvalidSequences: false, isFinalBlock: final);
            line += span.Slice(pos, consumed).Count((byte)'\n');
            pos += consumed;
            if (status == OperationStatus.InvalidData)
            {
                result.TryAdd(line, $"invalid UTF-8 (byte 0x{span[pos]:X2} at offset {offset + pos}); the input must be UTF-8 text");
                Rune.DecodeFromUtf8(span[pos..], out _, out var skipped);
                pos += Math.Max(1, skipped);
            }
            else if (status == OperationStatus.NeedMoreData)
            {
                break;
            }
        }
        return pos;
    }
}
