using System.Globalization;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Revisions;

/// <summary>
/// The catalog of one process without a cluster: the files themselves. Revision n+1 of a lineage lives at a name fixed
/// by its root and number (<c>train</c>, <c>train.r0001</c>, <c>train.r0002</c>, ...; <c>train.g2.r0001</c> after the root was
/// overwritten twice), and is published by create-if-absent of its object file — so of two concurrent edits of the same
/// head exactly one wins, on a local disk and on blob storage alike. The head is found by probing the next names.
/// </summary>
public sealed class FileScanCatalog(UrlAdapterRegistry? adapters = null) : ITableCatalog
{
    private readonly UrlAdapterRegistry _adapters = adapters ?? UrlAdapterRegistry.Default;

    /// <summary>The folder name of revision <paramref name="number"/> of a lineage.</summary>
    public static string RevisionName(RevisionInfo revision, int number)
    {
        ArgumentNullException.ThrowIfNull(revision);
        if (number == 0)
        {
            return revision.Root;
        }
        var n = number.ToString("D4", CultureInfo.InvariantCulture);
        return revision.Generation == 0 ? $"{revision.Root}.r{n}" : $"{revision.Root}.g{revision.Generation}.r{n}";
    }

    /// <inheritdoc />
    public async Task<Url> GetHeadAsync(Url table, CancellationToken cancellationToken)
    {
        table = _adapters.Expand(table);
        var current = await ObjectFiles.ReadAsync(_adapters, table, cancellationToken).ConfigureAwait(false);
        var head = table;
        while (true)
        {
            var next = head.Parent.Join(RevisionName(current.Revision, current.Revision.Number + 1));
            if (!await _adapters.ExistsAsync(TableLayout.ObjectFile(next), cancellationToken).ConfigureAwait(false))
            {
                return head;
            }
            var candidate = await ObjectFiles.ReadAsync(_adapters, next, cancellationToken).ConfigureAwait(false);
            if (candidate.Lineage.Parents.Count != 1 || candidate.Lineage.Parents[0].Id != current.Id)
            {
                // The name is taken by a table of another lineage (e.g. one made before the root was overwritten).
                return head;
            }
            head = next;
            current = candidate;
        }
    }

    /// <inheritdoc />
    public async Task<Url> PublishRevisionAsync(Url baseRevision, TableObject revision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revision);
        baseRevision = _adapters.Expand(baseRevision);
        var head = await GetHeadAsync(baseRevision, cancellationToken).ConfigureAwait(false);
        if (head != baseRevision)
        {
            throw new StaleRevisionException(baseRevision, head);
        }
        var target = RevisionUrl(baseRevision, revision);
        try
        {
            await ObjectFiles.PublishAsync(_adapters, target, revision, WriteMode.CreateNew, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlAlreadyExistsException)
        {
            throw new StaleRevisionException(baseRevision, await GetHeadAsync(baseRevision, cancellationToken).ConfigureAwait(false));
        }
        return target;
    }

    /// <summary>Where <paramref name="revision"/> (the successor of <paramref name="baseRevision"/>) is published.</summary>
    public static Url RevisionUrl(Url baseRevision, TableObject revision) =>
        baseRevision.Parent.Join(RevisionName(revision.Revision, revision.Revision.Number));
}
