using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Tlc.Tables.Urls;

/// <summary>
/// The <c>azure://&lt;container&gt;/&lt;path&gt;</c> adapter over Azure Blob Storage (or Azurite). Folders are blob-name
/// prefixes. Writes upload from a local temporary file on commit; <see cref="WriteMode.CreateNew"/> uses
/// <c>If-None-Match: *</c>, so publishing is atomic create-if-absent. Containers are created on first write.
/// </summary>
public sealed class AzureBlobUrlAdapter : IUrlAdapter
{
    private readonly BlobServiceClient _service;
    private readonly HashSet<string> _knownContainers = [];

    /// <summary>Creates the adapter from a connection string (<c>UseDevelopmentStorage=true</c> for Azurite).</summary>
    public AzureBlobUrlAdapter(string connectionString) : this(new BlobServiceClient(connectionString))
    {
    }

    /// <summary>Creates the adapter over a service client.</summary>
    public AzureBlobUrlAdapter(BlobServiceClient service) => _service = service ?? throw new ArgumentNullException(nameof(service));

    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["azure"];

    /// <inheritdoc />
    public bool IsReadOnly => false;

    /// <summary>Splits <c>azure://container/path</c>.</summary>
    public static (string Container, string Path) Parse(Url url)
    {
        if (url.Scheme != "azure")
        {
            throw new ArgumentException($"'{url}' is not an azure:// URL.", nameof(url));
        }
        var rest = url.Value["azure://".Length..];
        var slash = rest.IndexOf('/');
        return slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..]);
    }

    private BlobClient Blob(Url url)
    {
        var (container, path) = Parse(url);
        if (path.Length == 0)
        {
            throw new ArgumentException($"'{url}' names a container, not a blob.", nameof(url));
        }
        return _service.GetBlobContainerClient(container).GetBlobClient(path);
    }

    /// <inheritdoc />
    public Stream OpenRead(Url url)
    {
        try
        {
            return Blob(url).OpenRead(new BlobOpenReadOptions(allowModifications: false));
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new UrlNotFoundException(url, e);
        }
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(Url url, CancellationToken cancellationToken)
    {
        try
        {
            return await Blob(url).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new UrlNotFoundException(url, e);
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAllBytesAsync(Url url, CancellationToken cancellationToken)
    {
        try
        {
            var result = await Blob(url).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return result.Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new UrlNotFoundException(url, e);
        }
    }

    /// <inheritdoc />
    public bool Exists(Url url) => ExistsAsync(url, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<bool> ExistsAsync(Url url, CancellationToken cancellationToken)
    {
        var (container, path) = Parse(url);
        var containerClient = _service.GetBlobContainerClient(container);
        try
        {
            if (path.Length > 0 && await containerClient.GetBlobClient(path).ExistsAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            var prefix = path.Length == 0 ? null : path.TrimEnd('/') + "/";
            await foreach (var _ in containerClient.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            return false;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public UrlWriteStream OpenWrite(Url url, WriteMode mode) => new StagedUploadStream(url, (content, ct) => UploadAsync(url, content, mode, ct));

    /// <inheritdoc />
    public async Task WriteAllBytesAsync(Url url, ReadOnlyMemory<byte> data, WriteMode mode, CancellationToken cancellationToken)
    {
        await using var content = new BinaryData(data).ToStream();
        await UploadAsync(url, content, mode, cancellationToken).ConfigureAwait(false);
    }

    private async Task UploadAsync(Url url, Stream content, WriteMode mode, CancellationToken cancellationToken)
    {
        var blob = Blob(url);
        await EnsureContainerAsync(blob.BlobContainerName, cancellationToken).ConfigureAwait(false);
        var options = new BlobUploadOptions();
        if (mode == WriteMode.CreateNew)
        {
            options.Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
        }
        try
        {
            await blob.UploadAsync(content, options, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (mode == WriteMode.CreateNew && e.Status is 409 or 412)
        {
            throw new UrlAlreadyExistsException(url, e);
        }
    }

    private async Task EnsureContainerAsync(string container, CancellationToken cancellationToken)
    {
        lock (_knownContainers)
        {
            if (_knownContainers.Contains(container))
            {
                return;
            }
        }
        await _service.GetBlobContainerClient(container).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        lock (_knownContainers)
        {
            _knownContainers.Add(container);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<UrlEntry> ListAsync(Url folder, bool recursive, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (container, path) = Parse(folder);
        var containerClient = _service.GetBlobContainerClient(container);
        if (!await containerClient.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            yield break;
        }
        var prefix = path.Length == 0 ? "" : path.TrimEnd('/') + "/";
        if (recursive)
        {
            await foreach (var item in containerClient.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
            {
                yield return new UrlEntry(new Url($"azure://{container}/{item.Name}"), false, item.Properties.ContentLength ?? 0, item.Properties.LastModified);
            }
            yield break;
        }
        await foreach (var item in containerClient.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Prefix = prefix, Delimiter = "/" }, cancellationToken).ConfigureAwait(false))
        {
            if (item.IsPrefix)
            {
                yield return new UrlEntry(new Url($"azure://{container}/{item.Prefix.TrimEnd('/')}"), true, 0, null);
            }
            else
            {
                yield return new UrlEntry(new Url($"azure://{container}/{item.Blob.Name}"), false, item.Blob.Properties.ContentLength ?? 0,
                    item.Blob.Properties.LastModified);
            }
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(Url url, CancellationToken cancellationToken)
    {
        var (container, path) = Parse(url);
        var containerClient = _service.GetBlobContainerClient(container);
        if (path.Length > 0)
        {
            await containerClient.GetBlobClient(path).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        var names = new List<string>();
        await foreach (var entry in ListAsync(url, recursive: true, cancellationToken).ConfigureAwait(false))
        {
            names.Add(Parse(entry.Url).Path);
        }
        foreach (var name in names)
        {
            await containerClient.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
