using System.Buffers;
using System.Text.Unicode;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import;

/// <summary>
/// The input file of a tabular importer: its URL resolved through the URL adapters (aliases expanded; plain paths are
/// <c>file://</c> URLs), the name error messages use, and ways to read it.
/// </summary>
internal sealed class ImportInput
{
    private const int MessageTextLength = 40;

    public ImportInput(string pathOrUrl, ImportOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrUrl);
        ArgumentNullException.ThrowIfNull(options);
        Display = pathOrUrl;
        Adapters = options.EffectiveAdapters;
        Url = Adapters.Expand(new Url(pathOrUrl));
    }

    /// <summary>The input as the caller named it, for messages.</summary>
    public string Display { get; }

    /// <summary>The resolved URL.</summary>
    public Url Url { get; }

    /// <summary>The adapters reading it.</summary>
    public UrlAdapterRegistry Adapters { get; }

    /// <summary>Opens the input from its start (each call is a fresh read).</summary>
    public Task<Stream> OpenAsync(CancellationToken cancellationToken) => Adapters.OpenReadAsync(Url, cancellationToken);

    /// <summary>An error at <paramref name="location"/> of this input.</summary>
    public ImportException Error(string? location, string problem, Exception? inner = null) => new(Display, location, problem, inner);

    /// <summary>
    /// A local file holding the input: the file itself for <c>file://</c> URLs, else a temporary copy that the returned
    /// handle deletes when disposed.
    /// </summary>
    public async Task<LocalCopy> LocalFileAsync(CancellationToken cancellationToken)
    {
        if (Url.IsFile)
        {
            if (!File.Exists(Url.LocalPath))
            {
                throw new UrlNotFoundException(Url);
            }
            return new LocalCopy(Url.LocalPath, temporary: false);
        }
        var path = Path.Combine(Path.GetTempPath(), $"tlc-import-{Guid.NewGuid():N}{Path.GetExtension(Url.Name)}");
        try
        {
            var source = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                await using (target.ConfigureAwait(false))
                {
                    await source.CopyToAsync(target, 1 << 20, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        return new LocalCopy(path, temporary: true);
    }

    /// <summary>
    /// Reads the input from its start and returns the 1-based line holding its first byte that is not valid UTF-8, with
    /// that byte's offset, or null when all of it is valid.
    /// </summary>
    public async Task<(long Line, long Offset, byte Byte)?> FindInvalidUtf8Async(CancellationToken cancellationToken)
    {
        var stream = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var bytes = ArrayPool<byte>.Shared.Rent(1 << 16);
            var chars = ArrayPool<char>.Shared.Rent(1 << 16);
            try
            {
                var have = 0;
                long offset = 0;
                long line = 1;
                while (true)
                {
                    var read = await stream.ReadAsync(bytes.AsMemory(have, (1 << 16) - have), cancellationToken).ConfigureAwait(false);
                    var final = read == 0;
                    have += read;
                    var span = bytes.AsSpan(0, have);
                    var status = Utf8.ToUtf16(span, chars, out var consumed, out _, replaceInvalidSequences: false, isFinalBlock: final);
                    line += span[..consumed].Count((byte)'\n');
                    if (status == OperationStatus.InvalidData)
                    {
                        return (line, offset + consumed, span[consumed]);
                    }
                    offset += consumed;
                    span[consumed..].CopyTo(bytes);
                    have -= consumed;
                    if (final)
                    {
                        return null;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
                ArrayPool<char>.Shared.Return(chars);
            }
        }
    }

    /// <summary>The error for invalid UTF-8 found by <see cref="FindInvalidUtf8Async"/>, or a general one when the scan found none.</summary>
    public async Task<ImportException> InvalidUtf8ErrorAsync(Exception inner, CancellationToken cancellationToken)
    {
        return await FindInvalidUtf8Async(cancellationToken).ConfigureAwait(false) is { } bad
            ? Error($"line {bad.Line}", $"invalid UTF-8 (byte 0x{bad.Byte:X2} at offset {bad.Offset}); the input must be UTF-8 text", inner)
            : Error(null, "invalid UTF-8 text", inner);
    }

    /// <summary>Quotes a field's text for a message, shortened when long.</summary>
    public static string Quote(ReadOnlySpan<char> text) =>
        text.Length > MessageTextLength ? $"'{text[..MessageTextLength]}…'" : $"'{text}'";

    /// <summary>A local file of the input, deleted on dispose when it is a temporary copy.</summary>
    internal sealed class LocalCopy(string path, bool temporary) : IDisposable
    {
        public string Path { get; } = path;

        public void Dispose()
        {
            if (temporary)
            {
                try
                {
                    File.Delete(Path);
                }
                catch (IOException)
                {
                    // Best effort: a temporary file.
                }
            }
        }
    }
}
