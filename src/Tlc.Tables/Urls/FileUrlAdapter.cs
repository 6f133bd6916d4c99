using System.Runtime.CompilerServices;

namespace Tlc.Tables.Urls;

/// <summary>
/// The <c>file://</c> adapter. Writes go to a temporary file beside the target and are published when committed:
/// <see cref="WriteMode.CreateNew"/> by a hard link that fails if the name exists (atomic create-if-absent, see
/// <see cref="AtomicFile"/>), <see cref="WriteMode.Overwrite"/> by an atomic rename.
/// </summary>
public sealed class FileUrlAdapter : IUrlAdapter
{
    /// <summary>
    /// The name a file is written under until it is complete (then renamed to <paramref name="name"/>): a process killed
    /// mid-write leaves it behind, and <c>tlc gc</c> removes it.
    /// </summary>
    public static string TemporaryName(string name) => $".{name}.{Guid.NewGuid():N}.tmp";

    /// <summary>Whether <paramref name="name"/> is a <see cref="TemporaryName"/>: a write that never completed, or one under way.</summary>
    public static bool IsTemporaryName(string name) =>
        name.Length > 38 && name[0] == '.' && name.EndsWith(".tmp", StringComparison.Ordinal) && name[^37] == '.'
        && name.AsSpan(name.Length - 36, 32).ContainsAnyExcept("0123456789abcdef") is false;

    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["file"];

    /// <inheritdoc />
    public bool IsReadOnly => false;

    /// <inheritdoc />
    public Stream OpenRead(Url url)
    {
        try
        {
            return new FileStream(url.LocalPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096,
                FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UrlNotFoundException(url, e);
        }
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(Url url, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(OpenRead(url));
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAllBytesAsync(Url url, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(url.LocalPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UrlNotFoundException(url, e);
        }
    }

    /// <inheritdoc />
    public bool Exists(Url url) => File.Exists(url.LocalPath) || Directory.Exists(url.LocalPath);

    /// <inheritdoc />
    public Task<bool> ExistsAsync(Url url, CancellationToken cancellationToken) => Task.FromResult(Exists(url));

    /// <inheritdoc />
    public UrlWriteStream OpenWrite(Url url, WriteMode mode) => new FileWriteStream(url, mode);

    /// <inheritdoc />
    public async Task WriteAllBytesAsync(Url url, ReadOnlyMemory<byte> data, WriteMode mode, CancellationToken cancellationToken)
    {
        await using var stream = new FileWriteStream(url, mode);
        await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<UrlEntry> ListAsync(Url folder, bool recursive, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        var path = folder.LocalPath;
        if (!Directory.Exists(path))
        {
            yield break;
        }
        var options = new EnumerationOptions { RecurseSubdirectories = recursive, IgnoreInaccessible = true, AttributesToSkip = 0 };
        foreach (var info in new DirectoryInfo(path).EnumerateFileSystemInfos("*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var isFolder = info is DirectoryInfo;
            yield return new UrlEntry(Url.FromLocalPath(info.FullName), isFolder, isFolder ? 0 : ((FileInfo)info).Length,
                info.LastWriteTimeUtc);
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(Url url, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = url.LocalPath;
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
        return Task.CompletedTask;
    }

    private sealed class FileWriteStream : UrlWriteStream
    {
        private readonly Url _url;
        private readonly WriteMode _mode;
        private readonly string _target;
        private readonly string _temp;
        private readonly FileStream _stream;
        private bool _committed;

        public FileWriteStream(Url url, WriteMode mode)
        {
            _url = url;
            _mode = mode;
            _target = url.LocalPath;
            var folder = Path.GetDirectoryName(_target) ?? throw new ArgumentException($"'{url}' has no folder.", nameof(url));
            Directory.CreateDirectory(folder);
            if (mode == WriteMode.CreateNew && File.Exists(_target))
            {
                throw new UrlAlreadyExistsException(url);
            }
            _temp = Path.Combine(folder, TemporaryName(Path.GetFileName(_target)));
            _stream = new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        }

        public override Url Url => _url;

        public override long Length => _stream.Length;

        public override long Position { get => _stream.Position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _stream.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => _stream.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            _stream.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _stream.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => _stream.Flush();

        public override void Commit()
        {
            ObjectDisposedException.ThrowIf(_committed, this);
            _stream.Flush(flushToDisk: false);
            _stream.Dispose();
            if (_mode == WriteMode.Overwrite)
            {
                File.Move(_temp, _target, overwrite: true);
            }
            else if (!AtomicFile.TryPublishNew(_temp, _target))
            {
                TryDelete(_temp);
                throw new UrlAlreadyExistsException(_url);
            }
            _committed = true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_committed)
            {
                _stream.Dispose();
                TryDelete(_temp);
            }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            if (!_committed)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
                TryDelete(_temp);
            }
            await base.DisposeAsync().ConfigureAwait(false);
        }

        private static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Best effort: a leftover temporary file is garbage that 'tlc gc' removes.
            }
        }
    }
}
