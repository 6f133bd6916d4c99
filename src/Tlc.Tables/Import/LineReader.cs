namespace Tlc.Tables.Import;

/// <summary>
/// Splits a byte stream into lines ('\n', with a trailing '\r' dropped) and counts them from 1. A returned line is valid
/// until the next read. A UTF-8 byte order mark at the start is skipped unless <paramref name="skipByteOrderMark"/> is false
/// (a stream that starts mid-file).
/// </summary>
/// <param name="stream">The bytes.</param>
/// <param name="firstLine">The number of the stream's first line (a range of a file starts at its own line).</param>
/// <param name="skipByteOrderMark">Skip a byte order mark at the start.</param>
internal sealed class LineReader(Stream stream, long firstLine = 1, bool skipByteOrderMark = true)
{
    private byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;
    private int _scanned;
    private bool _eof;
    private bool _started = !skipByteOrderMark;

    /// <summary>The 1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; } = firstLine - 1;

    /// <summary>The next line, or null at the end of the input.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var end = _scanned + newline;
                var line = _buffer.AsMemory(_start, end - _start);
                _start = _scanned = end + 1;
                return Deliver(line);
            }
            _scanned = _end;
            if (_eof)
            {
                if (_end == _start)
                {
                    return null;
                }
                var line = _buffer.AsMemory(_start, _end - _start);
                _start = _scanned = _end;
                return Deliver(line);
            }
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _scanned -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                System.Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _eof = true;
            }
            _end += read;
        }
    }

    private ReadOnlyMemory<byte> Deliver(ReadOnlyMemory<byte> line)
    {
        LineNumber++;
        if (!_started)
        {
            _started = true;
            if (line.Span.StartsWith("\uFEFF"u8))
            {
                line = line[3..];
            }
        }
        return line.Span.EndsWith("\r"u8) ? line[..^1] : line;
    }
}
