namespace Tlc.Tables.Urls;

/// <summary>
/// A stream whose content becomes visible at its URL only on <see cref="Commit"/> (or <see cref="CommitAsync"/>);
/// disposing it without a commit discards everything written.
/// </summary>
public abstract class UrlWriteStream : Stream
{
    /// <summary>The URL the content is published at.</summary>
    public abstract Url Url { get; }

    /// <summary>Publishes the content atomically.</summary>
    public abstract void Commit();

    /// <summary>Publishes the content atomically.</summary>
    public virtual Task CommitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Commit();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <summary>True so that writers needing <see cref="Stream.Position"/> (the Arrow file writer) accept it; only reading the position is supported.</summary>
    public override bool CanSeek => true;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) =>
        (origin == SeekOrigin.Current && offset == 0) || (origin == SeekOrigin.Begin && offset == Position)
            ? Position
            : throw new NotSupportedException("A URL write stream only appends.");

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
