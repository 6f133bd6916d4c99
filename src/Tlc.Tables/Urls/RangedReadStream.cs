namespace Tlc.Tables.Urls;

/// <summary>
/// A seekable read-only stream over a remote object of known length that fetches byte ranges on demand and serves reads
/// from the last range fetched (the read streams of object stores and HTTP). A store gives only how a range is fetched.
/// </summary>
internal abstract class RangedReadStream(long length) : Stream
{
    private byte[] _block = [];
    private long _blockStart;
    private int _blockLength;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>
    /// Fetches bytes holding <paramref name="position"/> (at least <paramref name="count"/> of them where the object has
    /// them): the block, where it starts in the object and how many of its bytes are valid. <paramref name="reuse"/> is the
    /// previous block, which may be filled again.
    /// </summary>
    protected abstract (byte[] Block, long Start, int Length) Fetch(long position, int count, byte[] reuse);

    /// <summary>As <see cref="Fetch"/>, asynchronously (default: <see cref="Fetch"/>).</summary>
    protected virtual Task<(byte[] Block, long Start, int Length)> FetchAsync(long position, int count, byte[] reuse, CancellationToken cancellationToken) =>
        Task.FromResult(Fetch(position, count, reuse));

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        while (buffer.Length > 0 && _position < length)
        {
            if (!Holds(_position))
            {
                (_block, _blockStart, _blockLength) = Fetch(_position, buffer.Length, _block);
            }
            var n = CopyOut(buffer);
            buffer = buffer[n..];
            total += n;
        }
        return total;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var total = 0;
        while (buffer.Length > 0 && _position < length)
        {
            if (!Holds(_position))
            {
                (_block, _blockStart, _blockLength) = await FetchAsync(_position, buffer.Length, _block, cancellationToken).ConfigureAwait(false);
            }
            var n = CopyOut(buffer.Span);
            buffer = buffer[n..];
            total += n;
        }
        return total;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private bool Holds(long position) => position >= _blockStart && position < _blockStart + _blockLength;

    private int CopyOut(Span<byte> target)
    {
        var from = (int)(_position - _blockStart);
        var n = Math.Min(target.Length, _blockLength - from);
        _block.AsSpan(from, n).CopyTo(target);
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
