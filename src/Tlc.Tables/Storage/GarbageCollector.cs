using Tlc.Tables.Urls;

namespace Tlc.Tables.Storage;

/// <summary>What a garbage collection found and removed.</summary>
/// <param name="ObjectFiles">Object files read (current and archived versions).</param>
/// <param name="ChunkFiles">
/// Chunk files seen (import plans' side files included, and the files beside an object file that hold a derived table's
/// rows or edits: row map and edit sidecars, dense edit chunks).
/// </param>
/// <param name="Removed">Chunk and sidecar files no object references that were removed (or, in a dry run, would be).</param>
/// <param name="RemovedBytes">Their size.</param>
/// <param name="Kept">Unreferenced chunk files kept: younger than the minimum age, or in a folder an active job writes to.</param>
public sealed record GarbageReport(int ObjectFiles, int ChunkFiles, IReadOnlyList<Url> Removed, long RemovedBytes, IReadOnlyList<Url> Kept)
{
    /// <summary>Bulk data files seen (images writers saved under <c>&lt;dataset&gt;/bulk_data/&lt;table&gt;/&lt;write id&gt;/</c>).</summary>
    public int BulkFiles { get; init; }

    /// <summary>Bulk data files no table references that were removed (or, in a dry run, would be).</summary>
    public IReadOnlyList<Url> RemovedBulk { get; init; } = [];

    /// <summary>The size of <see cref="RemovedBulk"/>.</summary>
    public long RemovedBulkBytes { get; init; }

    /// <summary>
    /// Bulk data files that were not candidates, whether or not a table references them: younger than the minimum age,
    /// in the bulk folder of a table an active job writes, or in a dataset whose object files or chunks could not all be read.
    /// </summary>
    public IReadOnlyList<Url> KeptBulk { get; init; } = [];

    /// <summary>Emptied bulk data folders removed (file system roots only; blob stores have no folders; none in a dry run).</summary>
    public int RemovedBulkFolders { get; init; }
}

/// <summary>
/// Removes files that no table references: the staged chunks of failed, cancelled or abandoned import and metrics
/// jobs, and attempts that lost their lease; the sidecars and dense edit chunks of derived tables and revisions that were
/// never published (a process that died between writing them and its object file) or whose object file is gone (a
/// revision removed); the side files of import plans (<c>…/_plan/&lt;job id&gt;/</c>) of jobs
/// that are no longer active; and bulk data (images writers saved as files, under
/// <c>&lt;dataset&gt;/bulk_data/&lt;table&gt;/&lt;write id&gt;/</c>) of writes that never published, such as a writer or an import
/// attempt whose process died. Every object file under the root (current and archived versions) is read first; a chunk
/// file (<c>…/chunks/*.arrow</c>, or the temporary file of one whose writer died mid-write) or a file beside an object file named as a derived table names its row map and edit
/// files (<c>rowmap-&lt;id&gt;.arrow</c>, <c>edits-&lt;id&gt;-&lt;n&gt;.arrow</c>, <c>column-&lt;id&gt;-&lt;n&gt;.arrow</c>) is removed
/// only when none references it, it is older than the minimum age, and it is not in a folder an active job is writing
/// to. Published tables are never touched.
/// </summary>
/// <remarks>
/// A bulk data file is referenced when any table holds its URL as a value — in a chunk of any object file (any table
/// folder, current or archived version, any revision: a squashed copy or an edit may name the bulk data of another
/// table), in the edits of a revision (inline, in their sidecar or in a dense edit chunk) or in a default of its schema
/// overrides. Values are resolved as a table reads them (absolute as they are, relative to the table folder, aliases
/// expanded). Only the string columns of each distinct chunk are searched, and chunks are read only while some bulk
/// file is still a candidate for removal: older than the minimum age, outside the bulk folder
/// (<c>bulk_data/&lt;table&gt;/</c>) of every table an active job writes, and in a dataset whose object files, chunks,
/// sidecars and dense edit chunks could all be read (one that cannot be read, or an alias this configuration does not
/// know, keeps all bulk data of its dataset).
/// </remarks>
public static class GarbageCollector
{
    /// <summary>Collects under <paramref name="root"/>.</summary>
    /// <param name="root">The data root.</param>
    /// <param name="adapters">The URL adapters.</param>
    /// <param name="minimumAge">Unreferenced files younger than this stay (a job may be about to publish them).</param>
    /// <param name="activeFolders">
    /// Table folders of jobs still running: nothing in them is removed, nor in the bulk data folder of such a table
    /// (<c>&lt;dataset&gt;/bulk_data/&lt;table&gt;/</c>).
    /// </param>
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
        var sidecars = new List<UrlEntry>();
        var plans = new List<UrlEntry>();
        var maybeBulk = new List<UrlEntry>();
        var folders = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in adapters.ListAsync(root, recursive: true, cancellationToken).ConfigureAwait(false))
        {
            if (entry.IsFolder)
            {
                folders.Add(entry.Url.Value);
                continue;
            }
            var name = entry.Url.Name;
            if (name.StartsWith("object.", StringComparison.Ordinal) && name.EndsWith(".tlc.json", StringComparison.Ordinal))
            {
                objects.Add(entry);
            }
            else if (entry.Url.Parent.Name == "chunks" && (name.EndsWith(".arrow", StringComparison.Ordinal) || Urls.FileUrlAdapter.IsTemporaryName(name)))
            {
                // A chunk, or one whose writer was killed before it completed (never referenced).
                chunks.Add(entry);
            }
            else if (Revisions.DerivedTables.IsSidecarName(name))
            {
                // A row map or edit sidecar, or a dense edit chunk, beside the object file that references it.
                sidecars.Add(entry);
            }
            else if (entry.Url.Parent.Parent.Name == Import.Jobs.ImportJobs.PlanFolderName)
            {
                // A side file of an import job's plan (…/_plan/<job id>/…): never referenced by a table.
                plans.Add(entry);
            }
            else if (entry.Url.Value.Contains("/" + BulkReferences.FolderName + "/", StringComparison.Ordinal))
            {
                maybeBulk.Add(entry);
            }
        }
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        // Bulk data prefixes kept whole: datasets (or tables outside the layout) with an object file or chunk that could not be read.
        var bulkKeptWhole = new HashSet<string>(StringComparer.Ordinal);
        var tables = new List<(Url Folder, TableObject Object)>();
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
                // An unreadable object file: keep everything in its folder, and the bulk data of its dataset.
                referenced.Add(folder.Value + "/");
                bulkKeptWhole.Add(BulkReferences.Scope(folder));
                continue;
            }
            tables.Add((folder, table));
            foreach (var file in StoredFiles(table))
            {
                try
                {
                    referenced.Add(ObjectFiles.Resolve(folder, file, "chunk", absoluteMayLeave: true).Value);
                }
                catch (FormatException)
                {
                    referenced.Add(folder.Value + "/");
                    bulkKeptWhole.Add(BulkReferences.Scope(folder));
                }
            }
        }
        var active = new List<string>();
        foreach (var folder in activeFolders.Select(adapters.Expand))
        {
            active.Add(folder.Value + "/");
            if (BulkReferences.TableBulkFolder(folder) is { } tableBulk)
            {
                active.Add(tableBulk);
            }
        }
        bool IsActive(Url url) => active.Any(a => url.Value.StartsWith(a, StringComparison.Ordinal));
        bool IsYoung(UrlEntry entry) => minimumAge > TimeSpan.Zero && (entry.LastModified is not { } modified || now - modified < minimumAge);

        var removed = new List<Url>();
        var kept = new List<Url>();
        long removedBytes = 0;
        var sidecarSet = sidecars.Select(s => s.Url.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var chunk in chunks.Concat(sidecars).Concat(plans))
        {
            if (referenced.Contains(chunk.Url.Value))
            {
                continue;
            }
            // A plan's side files are kept only while their job is active or they are young; a chunk or sidecar file also
            // while an unreadable object file shares its table folder.
            var isPlan = chunk.Url.Parent.Parent.Name == Import.Jobs.ImportJobs.PlanFolderName;
            var tableFolder = (sidecarSet.Contains(chunk.Url.Value) ? chunk.Url.Parent : chunk.Url.Parent.Parent).Value + "/";
            if ((!isPlan && referenced.Contains(tableFolder)) || IsActive(chunk.Url) || IsYoung(chunk))
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

        var bulk = await CollectBulkAsync(adapters, root, tables, chunks, maybeBulk, bulkKeptWhole, IsActive, IsYoung, cancellationToken).ConfigureAwait(false);
        var removedBulk = new List<Url>();
        long removedBulkBytes = 0;
        foreach (var (entry, _) in bulk.Candidates)
        {
            if (!dryRun)
            {
                await adapters.DeleteAsync(entry.Url, cancellationToken).ConfigureAwait(false);
            }
            removedBulk.Add(entry.Url);
            removedBulkBytes += entry.Length;
        }
        var removedFolders = dryRun ? 0 : await RemoveEmptiedFoldersAsync(adapters, bulk.Candidates, folders, cancellationToken).ConfigureAwait(false);
        return new GarbageReport(objects.Count, chunks.Count + sidecars.Count + plans.Count, removed, removedBytes, kept)
        {
            BulkFiles = bulk.Seen,
            RemovedBulk = removedBulk,
            RemovedBulkBytes = removedBulkBytes,
            KeptBulk = bulk.Kept,
            RemovedBulkFolders = removedFolders,
        };
    }

    /// <summary>Finds the bulk data files to remove: candidates (old, not guarded) that no table references.</summary>
    private static async Task<(int Seen, List<(UrlEntry Entry, BulkLocation Location)> Candidates, List<Url> Kept)> CollectBulkAsync(
        UrlAdapterRegistry adapters, Url root, List<(Url Folder, TableObject Object)> tables, List<UrlEntry> chunks, List<UrlEntry> maybeBulk,
        HashSet<string> keptWhole, Func<Url, bool> isActive, Func<UrlEntry, bool> isYoung, CancellationToken cancellationToken)
    {
        var tableFolders = new HashSet<string>(tables.Select(t => t.Folder.Value), StringComparer.Ordinal);
        tableFolders.UnionWith(chunks.Select(c => c.Url.Parent.Parent.Value));
        var seen = 0;
        var kept = new List<Url>();
        var candidates = new Dictionary<string, (UrlEntry Entry, BulkLocation Location)>(StringComparer.Ordinal);
        foreach (var entry in maybeBulk)
        {
            if (BulkReferences.Locate(entry.Url, root.Value, tableFolders) is not { } location)
            {
                continue;
            }
            seen++;
            if (keptWhole.Contains(location.Scope) || isActive(entry.Url) || isYoung(entry))
            {
                kept.Add(entry.Url);
            }
            else
            {
                candidates[entry.Url.Value] = (entry, location);
            }
        }
        if (candidates.Count > 0)
        {
            await DropReferencedAsync(adapters, tables, candidates, kept, cancellationToken).ConfigureAwait(false);
        }
        return (seen, candidates.Values.OrderBy(c => c.Entry.Url.Value, StringComparer.Ordinal).ToList(), kept);
    }

    /// <summary>
    /// Removes from <paramref name="candidates"/> every bulk file a table references, reading each distinct chunk and
    /// sidecar once and stopping as soon as no candidate is left; what cannot be read keeps its dataset's candidates.
    /// </summary>
    private static async Task DropReferencedAsync(UrlAdapterRegistry adapters, List<(Url Folder, TableObject Object)> tables,
        Dictionary<string, (UrlEntry Entry, BulkLocation Location)> candidates, List<Url> kept, CancellationToken cancellationToken)
    {
        // Each scope is kept whole once: an unresolvable value (an unknown alias) may repeat in every row of a chunk.
        var keptScopes = new HashSet<string>(StringComparer.Ordinal);
        void KeepWhole(string scope)
        {
            if (!keptScopes.Add(scope))
            {
                return;
            }
            foreach (var key in candidates.Where(c => c.Value.Location.Scope == scope).Select(c => c.Key).ToList())
            {
                kept.Add(candidates[key].Entry.Url);
                candidates.Remove(key);
            }
        }
        void Reference(IEnumerable<string> values, IEnumerable<Url> readers)
        {
            foreach (var value in values)
            {
                if (candidates.Count == 0)
                {
                    return;
                }
                foreach (var folder in readers)
                {
                    if (BulkReferences.Resolve(adapters, value, folder, out var unresolved) is { } url)
                    {
                        candidates.Remove(url);
                    }
                    else if (unresolved)
                    {
                        KeepWhole(BulkReferences.Scope(folder));
                    }
                }
            }
        }

        // The files holding rows or values (chunks, edit sidecars, dense edit chunks), each with the table folders whose
        // objects reference it.
        var files = new Dictionary<string, List<Url>>(StringComparer.Ordinal);
        foreach (var (folder, table) in tables)
        {
            Reference(BulkReferences.ObjectStrings(table), [folder]);
            foreach (var file in StoredFiles(table))
            {
                Url url;
                try
                {
                    url = ObjectFiles.Resolve(folder, file, "chunk", absoluteMayLeave: true);
                }
                catch (FormatException)
                {
                    KeepWhole(BulkReferences.Scope(folder));
                    continue;
                }
                if (!files.TryGetValue(url.Value, out var readers))
                {
                    files[url.Value] = readers = [];
                }
                if (!readers.Contains(folder))
                {
                    readers.Add(folder);
                }
            }
        }
        foreach (var (file, readers) in files)
        {
            if (candidates.Count == 0)
            {
                return;
            }
            List<string> values;
            try
            {
                values = await BulkReferences.ReadStringsAsync(adapters, new Url(file), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A chunk that cannot be read (missing, corrupt): which bulk files it names is unknown.
                foreach (var folder in readers)
                {
                    KeepWhole(BulkReferences.Scope(folder));
                }
                continue;
            }
            Reference(values, readers);
        }
    }

    /// <summary>The files an object file references in its folder or elsewhere: chunks, row map and edit sidecars, dense edit chunks.</summary>
    private static IEnumerable<string> StoredFiles(TableObject table)
    {
        foreach (var chunk in table.Chunks)
        {
            yield return chunk.Url;
        }
        if (table.RowMap?.Sidecar is { } rowMap)
        {
            yield return rowMap;
        }
        foreach (var edits in table.Edits?.Values ?? Enumerable.Empty<ColumnEditsInfo>())
        {
            if (edits.Sidecar is { } sidecar)
            {
                yield return sidecar;
            }
            if (edits.Chunk is { } chunk)
            {
                yield return chunk.Url;
            }
        }
    }

    /// <summary>Removes the folders the removed bulk files leave empty, up to their write's folder; only folders the listing showed.</summary>
    private static async Task<int> RemoveEmptiedFoldersAsync(UrlAdapterRegistry adapters, List<(UrlEntry Entry, BulkLocation Location)> removed,
        HashSet<string> folders, CancellationToken cancellationToken)
    {
        var emptied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entry, location) in removed)
        {
            if (location.WriteFolder is not { } top)
            {
                continue;
            }
            for (var folder = entry.Url.Parent; folder.IsWithin(top); folder = folder.Parent)
            {
                if (folders.Contains(folder.Value))
                {
                    emptied.Add(folder.Value);
                }
                if (folder == top)
                {
                    break;
                }
            }
        }
        var count = 0;
        // Deepest first; a folder that gained a file since the listing stays.
        foreach (var folder in emptied.OrderByDescending(f => f.Length))
        {
            var url = new Url(folder);
            var holdsFiles = false;
            await foreach (var entry in adapters.ListAsync(url, recursive: true, cancellationToken).ConfigureAwait(false))
            {
                if (!entry.IsFolder)
                {
                    holdsFiles = true;
                    break;
                }
            }
            if (!holdsFiles)
            {
                await adapters.DeleteAsync(url, cancellationToken).ConfigureAwait(false);
                count++;
            }
        }
        return count;
    }
}
