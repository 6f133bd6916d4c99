using System.Buffers;

namespace Tlc.Tables.Import;

/// <summary>A byte range of a CSV file holding whole records, and the physical line its first byte is on (1-based).</summary>
/// <param name="Start">The first byte.</param>
/// <param name="End">One past the last byte.</param>
/// <param name="FirstLine">The 1-based line number of <paramref name="Start"/>.</param>
public readonly record struct CsvSegment(long Start, long End, long FirstLine)
{
    /// <summary>The number of bytes.</summary>
    public long Length => End - Start;
}

/// <summary>
/// Cuts a CSV file into byte ranges that start and end at record boundaries, so the ranges can be parsed independently
/// (in parallel, or as the chunks of an import job). A newline ends a record only outside quotes: the number of quote
/// characters before it is even (an escaped quote <c>""</c> counts twice and keeps the parity), so quoted fields holding
/// newlines never straddle two ranges. One sequential pass counting quotes and newlines (vectorised), no parsing.
/// </summary>
public static class CsvRecordBoundaries
{
    /// <summary>Splits <paramref name="stream"/> (read from its start) into ranges of about <paramref name="targetBytes"/> bytes.</summary>
    public static IReadOnlyList<CsvSegment> Split(Stream stream, long targetBytes, byte quote = (byte)'"')
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetBytes);
        var segments = new List<CsvSegment>();
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long offset = 0;          // file offset of buffer[0]
            long quotes = 0;          // quote characters before the current position
            long line = 1;            // line of the current position
            long segmentStart = 0;
            long segmentLine = 1;
            var nextTarget = targetBytes;
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                var span = buffer.AsSpan(0, read);
                var position = 0;
                while (position < read)
                {
                    var targetInBuffer = nextTarget - offset;
                    if (targetInBuffer >= read)
                    {
                        // No boundary wanted in the rest of this buffer: count in bulk.
                        var rest = span[position..];
                        quotes += rest.Count(quote);
                        line += rest.Count((byte)'\n');
                        position = read;
                        break;
                    }
                    if (targetInBuffer > position)
                    {
                        var before = span[position..(int)targetInBuffer];
                        quotes += before.Count(quote);
                        line += before.Count((byte)'\n');
                        position = (int)targetInBuffer;
                    }
                    // Walk to the first newline outside quotes.
                    for (; position < read; position++)
                    {
                        var b = span[position];
                        if (b == quote)
                        {
                            quotes++;
                        }
                        else if (b == (byte)'\n')
                        {
                            line++;
                            if ((quotes & 1) == 0)
                            {
                                var end = offset + position + 1;
                                segments.Add(new CsvSegment(segmentStart, end, segmentLine));
                                segmentStart = end;
                                segmentLine = line;
                                nextTarget = end + targetBytes;
                                position++;
                                break;
                            }
                        }
                    }
                }
                offset += read;
            }
            if (offset > segmentStart)
            {
                segments.Add(new CsvSegment(segmentStart, offset, segmentLine));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return segments;
    }
}

/// <summary>A read-only window [start, end) of a stream read from its start (seeked to, or skipped when it cannot seek).</summary>
internal sealed class StreamWindow : Stream
{
    private readonly Stream _inner;
    private long _remaining;

    public StreamWindow(Stream inner, long start, long end)
    {
        _inner = inner;
        if (inner.CanSeek)
        {
            _inner.Seek(start, SeekOrigin.Begin);
        }
        else
        {
            Skip(inner, start);
        }
        _remaining = end - start;
    }

    private static void Skip(Stream stream, long count)
    {
        var buffer = new byte[(int)Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            var n = stream.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (n == 0)
            {
                throw new EndOfStreamException("The input ended before the start of the range: it changed since it was planned.");
            }
            count -= n;
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0)
        {
            return 0;
        }
        var n = _inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        _remaining -= n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
