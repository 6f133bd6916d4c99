using Tlc.Cluster;
using Tlc.Tables.Revisions;
using Tlc.Tables.Urls;

namespace Tlc.Grains;

/// <summary>
/// The catalog of one table lineage in a cluster: caches the head revision, rebuilt from the files when it activates
/// (the files are the truth: a revision exists when its object file does). Advancing is compare-and-swap on the head;
/// the object file itself was published with create-if-absent, which is what settles a race.
/// </summary>
internal sealed class TableLineageGrain(UrlAdapterRegistry adapters) : Grain, ITableLineageGrain
{
    private string? _head;

    public async Task<string> GetHeadAsync()
    {
        // Follow the chain from the cached head: a revision published through the files alone is found too.
        _head = (await new FileScanCatalog(adapters).GetHeadAsync(new Url(_head ?? this.GetPrimaryKeyString()), CancellationToken.None)).Value;
        return _head;
    }

    public async Task<bool> AdvanceAsync(string baseRevision, string revision)
    {
        var head = await GetHeadAsync();
        if (head == revision)
        {
            return true;
        }
        if (head != baseRevision)
        {
            return false;
        }
        _head = revision;
        return true;
    }
}
