using Tlc.Cluster;
using Tlc.Tables.Revisions;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc;

/// <summary>
/// The table catalog of a cluster: each lineage's head is kept by its <see cref="ITableLineageGrain"/> (keyed by the
/// lineage's root table URL), which rebuilds itself from the files when it activates. Publishing a revision is
/// create-if-absent of its object file at the name fixed by its base (what settles a race, on local disk and blob storage
/// alike, even with a duplicate grain activation), then compare-and-swap of the head on the grain. Of two concurrent edits
/// of one head exactly one is published; the other fails with <see cref="Tlc.Tables.StaleRevisionException"/> naming the new head.
/// </summary>
public sealed class ClusterTableCatalog : ITableCatalog
{
    private readonly ClusterContext _context;
    private readonly FileScanCatalog _files;

    /// <summary>A catalog over the grains of <paramref name="context"/>'s cluster.</summary>
    public ClusterTableCatalog(ClusterContext context)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _files = new FileScanCatalog(context.Adapters);
    }

    /// <inheritdoc />
    public async Task<Url> GetHeadAsync(Url table, CancellationToken cancellationToken)
    {
        var (grain, generation) = await LineageAsync(table, cancellationToken).ConfigureAwait(false);
        var head = new Url(await grain.GetHeadAsync().WaitAsync(cancellationToken).ConfigureAwait(false));
        var headObject = await ObjectFiles.ReadAsync(_context.Adapters, head, cancellationToken).ConfigureAwait(false);
        // A table of an older generation (its root was overwritten since) has a lineage of its own: follow its files.
        return headObject.Revision.Generation == generation ? head : await _files.GetHeadAsync(table, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Url> PublishRevisionAsync(Url baseRevision, TableObject revision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revision);
        var published = await _files.PublishRevisionAsync(baseRevision, revision, cancellationToken).ConfigureAwait(false);
        var (grain, _) = await LineageAsync(baseRevision, cancellationToken).ConfigureAwait(false);
        var baseUrl = _context.Adapters.Expand(baseRevision);
        if (!await grain.AdvanceAsync(baseUrl.Value, published.Value).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            // The file was published (create-if-absent succeeded), so the grain's head is behind or of another
            // generation; it re-reads the files on its next GetHead. The revision stands either way.
            _ = await grain.GetHeadAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        return published;
    }

    private async Task<(ITableLineageGrain Grain, int Generation)> LineageAsync(Url table, CancellationToken cancellationToken)
    {
        table = _context.Adapters.Expand(table);
        var obj = await ObjectFiles.ReadAsync(_context.Adapters, table, cancellationToken).ConfigureAwait(false);
        var root = table.Parent.Join(obj.Revision.Root);
        return (_context.Client.GetGrain<ITableLineageGrain>(root.Value), obj.Revision.Generation);
    }
}
