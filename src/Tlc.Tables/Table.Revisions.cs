using Tlc.Tables.Revisions;
using Tlc.Tables.Urls;

namespace Tlc.Tables;

public sealed partial class Table
{
    /// <summary>Starts an edit of this revision; <see cref="TableEditor.CommitAsync"/> publishes the next revision.</summary>
    public TableEditor Edit(ITableCatalog? catalog = null) => new(this, catalog ?? new FileScanCatalog(Adapters));

    /// <summary>The newest revision of this table's lineage (this table when it is the head).</summary>
    public async Task<Table> LatestAsync(ITableCatalog? catalog = null, CancellationToken cancellationToken = default)
    {
        var head = await (catalog ?? new FileScanCatalog(Adapters)).GetHeadAsync(Url, cancellationToken).ConfigureAwait(false);
        return head == Url ? this : await OpenAsync(head, Adapters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The newest revision of the lineage of the table at <paramref name="url"/>.</summary>
    public static async Task<Table> LatestAsync(Url url, UrlAdapterRegistry? adapters = null, CancellationToken cancellationToken = default)
    {
        var registry = adapters ?? UrlAdapterRegistry.Default;
        var head = await new FileScanCatalog(registry).GetHeadAsync(url, cancellationToken).ConfigureAwait(false);
        return await OpenAsync(head, registry, cancellationToken).ConfigureAwait(false);
    }
}

public sealed partial class Table
{
    /// <summary>The logical content hash (see <see cref="Storage.ContentHash"/>): equal for equal rows, whatever the chunking.</summary>
    public string ContentHash(CancellationToken cancellationToken = default) => Storage.ContentHash.Compute(this, cancellationToken);
}
