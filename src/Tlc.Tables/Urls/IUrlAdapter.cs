namespace Tlc.Tables.Urls;

/// <summary>
/// Reads and writes the bytes behind URLs of one or more schemes. All table I/O goes through adapters, so a table
/// can live on a local disk, in Azure Blob Storage or behind HTTP without any other code knowing.
/// </summary>
public interface IUrlAdapter
{
    /// <summary>The URL schemes served ("file", "azure", "https", ...).</summary>
    IReadOnlyList<string> Schemes { get; }

    /// <summary>True when the adapter cannot write or delete.</summary>
    bool IsReadOnly { get; }

    /// <summary>Opens a stream for reading; seekable wherever the store supports ranged reads.</summary>
    /// <exception cref="UrlNotFoundException">Nothing is at <paramref name="url"/>.</exception>
    Stream OpenRead(Url url);

    /// <summary>Opens a stream for reading; seekable wherever the store supports ranged reads.</summary>
    Task<Stream> OpenReadAsync(Url url, CancellationToken cancellationToken);

    /// <summary>Reads everything at <paramref name="url"/>.</summary>
    Task<byte[]> ReadAllBytesAsync(Url url, CancellationToken cancellationToken);

    /// <summary>True when something is at <paramref name="url"/>.</summary>
    bool Exists(Url url);

    /// <summary>True when something is at <paramref name="url"/>.</summary>
    Task<bool> ExistsAsync(Url url, CancellationToken cancellationToken);

    /// <summary>Starts a write whose content appears at <paramref name="url"/> on commit (see <see cref="UrlWriteStream"/>).</summary>
    UrlWriteStream OpenWrite(Url url, WriteMode mode);

    /// <summary>Writes <paramref name="data"/> atomically.</summary>
    /// <exception cref="UrlAlreadyExistsException">With <see cref="WriteMode.CreateNew"/>, something is already there.</exception>
    Task WriteAllBytesAsync(Url url, ReadOnlyMemory<byte> data, WriteMode mode, CancellationToken cancellationToken);

    /// <summary>Lists a folder (or blob prefix); an absent folder lists nothing.</summary>
    IAsyncEnumerable<UrlEntry> ListAsync(Url folder, bool recursive, CancellationToken cancellationToken);

    /// <summary>Deletes a file, or a folder with everything in it; deleting nothing is not an error.</summary>
    Task DeleteAsync(Url url, CancellationToken cancellationToken);
}
