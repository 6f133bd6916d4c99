using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;

namespace Tlc.Tables.Urls;

/// <summary>
/// The read-only <c>http://</c> and <c>https://</c> adapter. Reads are ranged (seekable streams) when the server
/// answers a ranged GET with 206, so random access to a table served over HTTP reads only what it needs;
/// otherwise the whole resource is downloaded once per open.
/// </summary>
public sealed class HttpUrlAdapter(HttpClient? client = null) : IUrlAdapter
{
    private readonly HttpClient _client = client ?? new HttpClient { Timeout = TimeSpan.FromSeconds(100) };

    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["http", "https"];

    /// <inheritdoc />
    public bool IsReadOnly => true;

    /// <inheritdoc />
    public Stream OpenRead(Url url) => OpenReadAsync(url, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(Url url, CancellationToken cancellationToken)
    {
        // Probe with a one-byte ranged GET (no HEAD: signed-URL stores often refuse it). 206 with a total length means
        // ranged reads work; 200 means the server sent everything, which is then the content.
        using var probe = new HttpRequestMessage(HttpMethod.Get, url.Value);
        probe.Headers.Range = new RangeHeaderValue(0, 0);
        using var response = await _client.SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return new MemoryStream([], writable: false);
        }
        ThrowIfFailed(url, response);
        if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.Length is { } length)
        {
            return new HttpRangeStream(_client, url, length);
        }
        return new MemoryStream(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false), writable: false);
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAllBytesAsync(Url url, CancellationToken cancellationToken)
    {
        using var response = await _client.GetAsync(url.Value, cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(url, response);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public bool Exists(Url url) => ExistsAsync(url, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<bool> ExistsAsync(Url url, CancellationToken cancellationToken)
    {
        using var probe = new HttpRequestMessage(HttpMethod.Get, url.Value);
        probe.Headers.Range = new RangeHeaderValue(0, 0);
        using var response = await _client.SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable;
    }

    /// <inheritdoc />
    public UrlWriteStream OpenWrite(Url url, WriteMode mode) => throw ReadOnly(url);

    /// <inheritdoc />
    public Task WriteAllBytesAsync(Url url, ReadOnlyMemory<byte> data, WriteMode mode, CancellationToken cancellationToken) => throw ReadOnly(url);

    /// <inheritdoc />
    public async IAsyncEnumerable<UrlEntry> ListAsync(Url folder, bool recursive, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        throw new NotSupportedException($"HTTP has no folder listing: cannot list '{folder}'.");
#pragma warning disable CS0162 // an iterator needs a yield
        yield break;
#pragma warning restore CS0162
    }

    /// <inheritdoc />
    public Task DeleteAsync(Url url, CancellationToken cancellationToken) => throw ReadOnly(url);

    private static NotSupportedException ReadOnly(Url url) => new($"'{url}' is read-only: the HTTP adapter cannot write.");

    private static void ThrowIfFailed(Url url, HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new UrlNotFoundException(url);
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new IOException($"GET {url} failed: {(int)response.StatusCode} {response.ReasonPhrase}.");
        }
    }

    /// <summary>A seekable read-only stream fetching byte ranges on demand (64 KiB read-ahead).</summary>
    private sealed class HttpRangeStream(HttpClient client, Url url, long length) : RangedReadStream(length)
    {
        private const int BlockSize = 1 << 16;

        protected override (byte[] Block, long Start, int Length) Fetch(long position, int count, byte[] reuse)
        {
            var size = Math.Max(BlockSize, count);
            // Near the end, fetch the last block of the file, so that the reads a file footer needs (backwards from the
            // end: magic, footer Length, footer) are served by one request.
            var start = position + size > Length ? Math.Max(0, Length - size) : position;
            var end = Math.Min(Length, start + size) - 1;
            using var request = new HttpRequestMessage(HttpMethod.Get, url.Value);
            request.Headers.Range = new RangeHeaderValue(start, end);
            using var response = client.Send(request);
            ThrowIfFailed(url, response);
            using var content = response.Content.ReadAsStream();
            using var copy = new MemoryStream();
            content.CopyTo(copy);
            var block = copy.ToArray();
            if (block.Length == 0)
            {
                throw new IOException($"GET {url} bytes {start}-{end} returned nothing.");
            }
            // A server that ignored the range sent everything.
            return (block, response.StatusCode != HttpStatusCode.PartialContent ? 0 : start, block.Length);
        }
    }
}
