namespace Tlc.Tables.Urls;

/// <summary>
/// The write stream of an object store: what is written is staged in a temporary file (deleted on close) and uploaded
/// whole on commit by the store's upload; disposing without a commit uploads nothing.
/// </summary>
internal sealed class StagedUploadStream : UrlWriteStream
{
    private readonly Url _url;
    private readonly Func<Stream, CancellationToken, Task> _uploadAsync;
    private readonly Action<Stream>? _upload;
    private readonly FileStream _stream;
    private bool _done;

    /// <param name="url">The URL the content is published at.</param>
    /// <param name="uploadAsync">Uploads the staged content (the stream is at its start).</param>
    /// <param name="upload">The same, synchronously, where the store's client has it; default: <paramref name="uploadAsync"/> waited on.</param>
    public StagedUploadStream(Url url, Func<Stream, CancellationToken, Task> uploadAsync, Action<Stream>? upload = null)
    {
        _url = url;
        _uploadAsync = uploadAsync;
        _upload = upload;
        var temp = Path.Combine(Path.GetTempPath(), $"tlc-upload-{Guid.NewGuid():N}.tmp");
        _stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
    }

    public override Url Url => _url;

    public override long Length => _stream.Length;

    public override long Position { get => _stream.Position; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => _stream.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _stream.Write(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _stream.WriteAsync(buffer, cancellationToken);

    public override void Flush() => _stream.Flush();

    public override void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _stream.Flush();
        _stream.Position = 0;
        if (_upload is { } upload)
        {
            upload(_stream);
        }
        else
        {
            _uploadAsync(_stream, CancellationToken.None).GetAwaiter().GetResult();
        }
        _done = true;
        _stream.Dispose();
    }

    public override async Task CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        _stream.Position = 0;
        await _uploadAsync(_stream, cancellationToken).ConfigureAwait(false);
        _done = true;
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stream.Dispose();
        }
        base.Dispose(disposing);
    }
}
