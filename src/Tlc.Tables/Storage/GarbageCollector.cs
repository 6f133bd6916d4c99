using Tlc.Tables.Urls;

namespace Tlc.Tables.Storage;

/// <summary>What a garbage collection found and removed.</summary>
/// <param name="ObjectFiles">Object files read (current and archived versions).</param>
/// <param name="ChunkFiles">Chunk files seen (import plans' side files included).</param>
/// <param name="Removed">Chunk files no object references that were removed (or, in a dry run, would be).</param>
/// <param name="RemovedBytes">Their size.</param>
/// <param name="Kept">Unreferenced chunk files kept: younger than the minimum age, or in a folder an active job writes to.</param>
public sealed record GarbageReport(int ObjectFiles, int ChunkFiles, IReadOnlyList<Url> Removed, long RemovedBytes, IReadOnlyList<Url> Kept);

/// <summary>
/// Removes chunk files that no table references: the staged chunks of failed, cancelled or abandoned import and metrics
/// jobs, and attempts that lost their lease; and the side files of import plans (<c>…/_plan/&lt;job id&gt;/</c>) of jobs
/// that are no longer active. Every object file under the root (current and archived versions) is read
/// first; a chunk file (<c>…/chunks/*.arrow</c>) is removed only when none references it, it is older than the minimum
/// age, and it is not in a folder an active job is writing to. Published tables are never touched.
/// </summary>
public static class GarbageCollector
{
    /// <summary>Collects under <paramref name="root"/>.</summary>
    /// <param name="root">The data root.</param>
    /// <param name="adapters">The URL adapters.</param>
    /// <param name="minimumAge">Unreferenced files younger than this stay (a job may be about to publish them).</param>
    /// <param name="activeFolders">Table folders of jobs still running: nothing in them is removed.</param>
    /// <param name="dryRun">True to only report.</param>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    public static async Task<GarbageReport> CollectAsync(Url root, UrlAdapterRegistry adapters, TimeSpan minimumAge, IReadOnlyCollection<Url> activeFolders,
        bool dryRun, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(activeFolders);
        root = adapters.Expand(root);
        var objects = new List<UrlEntry>();
        var chunks = new List<UrlEntry>();
        var plans = new List<UrlEntry>();
        await foreach (var entry in adapters.ListAsync(root, recursive: true, cancellationToken).ConfigureAwait(false))
        {
            if (entry.IsFolder)
            {
                continue;
            }
            var name = entry.Url.Name;
            if (name.StartsWith("object.", StringComparison.Ordinal) && name.EndsWith(".tlc.json", StringComparison.Ordinal))
            {
                objects.Add(entry);
            }
            else if (name.EndsWith(".arrow", StringComparison.Ordinal) && entry.Url.Parent.Name == "chunks")
            {
                chunks.Add(entry);
            }
            else if (entry.Url.Parent.Parent.Name == Import.Jobs.ImportJobs.PlanFolderName)
            {
                // A side file of an import job's plan (…/_plan/<job id>/…): never referenced by a table.
                plans.Add(entry);
            }
        }
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in objects)
        {
            var folder = entry.Url.Parent;
            TableObject table;
            try
            {
                table = ObjectFiles.Deserialize(await adapters.ReadAllBytesAsync(entry.Url, cancellationToken).ConfigureAwait(false), entry.Url.Value);
            }
            catch (FormatException)
            {
                // An unreadable object file: keep everything in its folder.
                referenced.Add(folder.Value + "/");
                continue;
            }
            foreach (var chunk in table.Chunks)
            {
                try
                {
                    referenced.Add(ObjectFiles.Resolve(folder, chunk.Url, "chunk", absoluteMayLeave: true).Value);
                }
                catch (FormatException)
                {
                    referenced.Add(folder.Value + "/");
                }
            }
        }
        var active = activeFolders.Select(f => adapters.Expand(f).Value + "/").ToList();
        var removed = new List<Url>();
        var kept = new List<Url>();
        long removedBytes = 0;
        foreach (var chunk in chunks.Concat(plans))
        {
            if (referenced.Contains(chunk.Url.Value))
            {
                continue;
            }
            // A plan's side files are kept only while their job is active or they are young; a chunk file also while an
            // unreadable object file shares its table folder.
            var isPlan = chunk.Url.Parent.Parent.Name == Import.Jobs.ImportJobs.PlanFolderName;
            var tableFolder = chunk.Url.Parent.Parent.Value + "/";
            if ((!isPlan && referenced.Contains(tableFolder)) || active.Any(a => chunk.Url.Value.StartsWith(a, StringComparison.Ordinal))
                || (minimumAge > TimeSpan.Zero && (chunk.LastModified is not { } modified || now - modified < minimumAge)))
            {
                kept.Add(chunk.Url);
                continue;
            }
            if (!dryRun)
            {
                await adapters.DeleteAsync(chunk.Url, cancellationToken).ConfigureAwait(false);
            }
            removed.Add(chunk.Url);
            removedBytes += chunk.Length;
        }
        return new GarbageReport(objects.Count, chunks.Count + plans.Count, removed, removedBytes, kept);
    }
}
