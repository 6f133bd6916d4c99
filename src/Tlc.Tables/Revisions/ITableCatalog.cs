using Tlc.Tables.Storage;

namespace Tlc.Tables.Revisions;

/// <summary>
/// Decides which revision of a table lineage is the head and publishes new revisions with compare-and-swap: a revision
/// names its base, and a base that is no longer the head is refused with the current head. Two implementations: the
/// file-scan catalog of the table engine (<see cref="FileScanCatalog"/>), and the dataset grain in a cluster.
/// </summary>
public interface ITableCatalog
{
    /// <summary>The URL of the newest revision in the lineage of <paramref name="table"/>.</summary>
    Task<Url> GetHeadAsync(Url table, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes <paramref name="revision"/> as the successor of <paramref name="baseRevision"/> and returns its URL.
    /// </summary>
    /// <exception cref="StaleRevisionException"><paramref name="baseRevision"/> is not the head.</exception>
    Task<Url> PublishRevisionAsync(Url baseRevision, TableObject revision, CancellationToken cancellationToken);
}
