using System.Buffers;

namespace Tlc.Tables.Import;

/// <summary>A byte range of a line-oriented file holding whole lines, and the line its first byte is on (1-based).</summary>
/// <param name="Start">The first byte.</param>
/// <param name="End">One past the last byte.</param>
/// <param name="FirstLine">The 1-based line number of <paramref name="Start"/>.</param>
internal readonly record struct LineRange(long Start, long End, long FirstLine)
{
    /// <summary>The number of bytes.</summary>
    public long Length => End - Start;
}

/// <summary>
/// Cuts a line-oriented file (NDJSON) into byte ranges that start and end at line boundaries, so the ranges convert
/// independently: one sequential pass that counts newlines (vectorised) and looks for the first newline past each target
/// size; nothing is parsed.
/// </summary>
internal static class LineBoundaries
{
    /// <summary>Splits <paramref name="stream"/> (read from its start) into ranges of about <paramref name="targetBytes"/> bytes.</summary>
    public static async Task<List<LineRange>> SplitAsync(Stream stream, long targetBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetBytes);
        var ranges = new List<LineRange>();
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long offset = 0;          // file offset of buffer[0]
            long line = 1;            // line of the current position
            long rangeStart = 0;
            long rangeLine = 1;
            var nextTarget = targetBytes;
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                var position = 0;
                while (position < read)
                {
                    var span = buffer.AsSpan(0, read);
                    var targetInBuffer = nextTarget - offset;
                    if (targetInBuffer >= read)
                    {
                        line += span[position..].Count((byte)'\n');
                        break;
                    }
                    if (targetInBuffer > position)
                    {
                        line += span[position..(int)targetInBuffer].Count((byte)'\n');
                        position = (int)targetInBuffer;
                    }
                    var newline = span[position..].IndexOf((byte)'\n');
                    if (newline < 0)
                    {
                        break;
                    }
                    position += newline + 1;
                    line++;
                    var end = offset + position;
                    ranges.Add(new LineRange(rangeStart, end, rangeLine));
                    rangeStart = end;
                    rangeLine = line;
                    nextTarget = end + targetBytes;
                }
                offset += read;
            }
            if (offset > rangeStart)
            {
                ranges.Add(new LineRange(rangeStart, offset, rangeLine));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return ranges;
    }
}
