using Tlc.Schemas;
using Tlc.Tables.Samples;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

public sealed class GarbageCollectorTests : IDisposable
{
    private readonly TempRoot _root = new("gc");

    public void Dispose() => _root.Dispose();

    private async Task<Table> WriteAsync(string name)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["x"] = new Int64Schema() }, Project = "p", Dataset = "d", Table = name, Root = _root.Url, Settings = _root.Settings,
        });
        for (var i = 0; i < 100; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["x"] = (long)i });
        }
        return await writer.FinalizeAsync();
    }

    private static string Orphan(string folder, string name)
    {
        Directory.CreateDirectory(Path.Combine(folder, "chunks"));
        var path = Path.Combine(folder, "chunks", name);
        File.WriteAllBytes(path, new byte[1000]);
        return path;
    }

    [Fact]
    public async Task Collect_OrphanChunks_RemovedOnly_TablesStayIntact()
    {
        using var table = await WriteAsync("kept");
        var hash = table.ContentHash();
        var inTable = Orphan(table.Url.LocalPath, "import-abc-c00001-a1-0-00000.arrow");
        var failedImport = Orphan(Path.Combine(_root.Path, "projects", "p", "datasets", "d", "tables", "failed"), "import-def-c00000-a1-0-00000.arrow");
        var running = Orphan(Path.Combine(_root.Path, "projects", "p", "datasets", "d", "tables", "running"), "import-ghi-c00000-a1-0-00000.arrow");
        var adapters = new UrlAdapterRegistry();
        var runningFolder = Url.FromLocalPath(Path.GetDirectoryName(Path.GetDirectoryName(running))!);

        var dry = await GarbageCollector.CollectAsync(_root.Url, adapters, TimeSpan.Zero, [runningFolder], dryRun: true, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal(2, dry.Removed.Count);
        Assert.True(File.Exists(inTable) && File.Exists(failedImport));

        var young = await GarbageCollector.CollectAsync(_root.Url, adapters, TimeSpan.FromHours(1), [], dryRun: false, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Empty(young.Removed);
        Assert.Equal(3, young.Kept.Count);

        var report = await GarbageCollector.CollectAsync(_root.Url, adapters, TimeSpan.Zero, [runningFolder], dryRun: false, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal([failedImport, inTable], report.Removed.Select(u => u.LocalPath).Order(StringComparer.Ordinal));
        Assert.Equal(2000, report.RemovedBytes);
        Assert.False(File.Exists(inTable) || File.Exists(failedImport));
        Assert.True(File.Exists(running));
        using var reopened = await Table.OpenAsync(table.Url);
        Assert.Equal(hash, reopened.ContentHash());
        Assert.All(table.Object.Chunks, c => Assert.True(File.Exists(Path.Combine(table.Url.LocalPath, c.Url))));
    }

    [Fact]
    public async Task Collect_ChunkWriteKilledMidway_TemporaryFileRemoved_OtherDotFilesKept()
    {
        // A worker killed while writing a shard's chunk leaves the chunk's temporary file, never renamed, never referenced.
        using var table = await WriteAsync("metrics");
        var partial = Orphan(table.Url.LocalPath, Tlc.Tables.Urls.FileUrlAdapter.TemporaryName("shard-00020-a1-9b504924.arrow"));
        var notOurs = Orphan(table.Url.LocalPath, ".keep");
        var adapters = new UrlAdapterRegistry();

        var young = await GarbageCollector.CollectAsync(_root.Url, adapters, TimeSpan.FromHours(1), [], dryRun: false, DateTimeOffset.UtcNow, CancellationToken.None);
        var report = await GarbageCollector.CollectAsync(_root.Url, adapters, TimeSpan.Zero, [], dryRun: false, DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Empty(young.Removed);
        Assert.Equal(partial, Assert.Single(report.Removed).LocalPath);
        Assert.True(File.Exists(notOurs));
        Assert.True(Tlc.Tables.Urls.FileUrlAdapter.IsTemporaryName(Path.GetFileName(partial)));
        Assert.False(Tlc.Tables.Urls.FileUrlAdapter.IsTemporaryName(".keep"));
        Assert.False(Tlc.Tables.Urls.FileUrlAdapter.IsTemporaryName("shard-00020-a1-9b504924.arrow"));
    }

    [Fact]
    public async Task Collect_PlanSideFiles_RemovedUnlessActiveOrYoung()
    {
        using var table = await WriteAsync("coco");
        var ended = Path.Combine(table.Url.LocalPath, "_plan", "job-ended", "coco-00000.json");
        var running = Path.Combine(_root.Path, "projects", "p", "datasets", "d", "tables", "importing", "_plan", "job-running", "coco-00000.json");
        foreach (var file in new[] { ended, running })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, "{\"images\":[],\"annotations\":[]}");
        }
        var adapters = new UrlAdapterRegistry();
        var runningFolder = Url.FromLocalPath(Path.Combine(_root.Path, "projects", "p", "datasets", "d", "tables", "importing"));

        var young = await GarbageCollector.CollectAsync(_root.Url, adapters, TimeSpan.FromHours(1), [], dryRun: false, DateTimeOffset.UtcNow, CancellationToken.None);
        var report = await GarbageCollector.CollectAsync(_root.Url, adapters, TimeSpan.Zero, [runningFolder], dryRun: false, DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Empty(young.Removed);
        Assert.Equal(ended, Assert.Single(report.Removed).LocalPath);
        Assert.False(File.Exists(ended));
        Assert.True(File.Exists(running));
        using var reopened = await Table.OpenAsync(table.Url);
        Assert.Equal(100, reopened.RowCount);
    }

    private string Bulk(string dataset = "d") => Path.Combine(_root.Path, "projects", "p", "datasets", dataset, "bulk_data");

    private static ImageSample Image(int row) => new(4, 3, ImageColorType.Gray8, Enumerable.Range(0, 12).Select(i => (byte)(row * 16 + i)).ToArray());

    private async Task<Table> WriteImagesAsync(string name, int rows = 5, string dataset = "d")
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Png), ["name"] = new StringSchema() },
            Project = "p", Dataset = dataset, Table = name, Root = _root.Url, Settings = _root.Settings,
        });
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["image"] = Image(i), ["name"] = $"row {i}" });
        }
        return await writer.FinalizeAsync();
    }

    /// <summary>What a writer whose process died leaves: the bulk files of a write id no object file names (copies of <paramref name="from"/>'s).</summary>
    private static List<string> CrashedWrite(string from, string tableBulkFolder, string writeId)
    {
        var target = Path.Combine(tableBulkFolder, writeId);
        var files = new List<string>();
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
            files.Add(copy);
        }
        return files;
    }

    private static string WriteFolder(Table table) => Path.GetDirectoryName(Path.GetDirectoryName(table.ResolveUrl((string)table.Rows[0]["image"]!).LocalPath))!;

    private static void AssertDecodesEveryImage(Table table)
    {
        for (var i = 0; i < table.RowCount; i++)
        {
            var image = Assert.IsType<ImageSample>(table[i]["image"]);
            Assert.Equal(Image(i).Pixels, image.Pixels);
        }
    }

    private Task<GarbageReport> CollectAsync(TimeSpan minimumAge, bool dryRun = false, params Url[] active) =>
        GarbageCollector.CollectAsync(_root.Url, new UrlAdapterRegistry(), minimumAge, active, dryRun, DateTimeOffset.UtcNow, CancellationToken.None);

    [Fact(Timeout = 120_000)]
    public async Task Collect_OrphanBulkData_RemovedOnly_TableStillDecodesEveryImage()
    {
        using var table = await WriteImagesAsync("images");
        var written = WriteFolder(table);
        Assert.StartsWith(Path.Combine(Bulk(), "images") + Path.DirectorySeparatorChar, written, StringComparison.Ordinal);
        var published = Directory.GetFiles(written, "*", SearchOption.AllDirectories);
        Assert.Equal(5, published.Length);
        // A second write of the same table that died before publishing, and a write of a table that never got an object file.
        var crashed = CrashedWrite(written, Path.Combine(Bulk(), "images"), "20240101000000-deadbeef");
        var never = CrashedWrite(written, Path.Combine(Bulk(), "never-published"), "20240101000000-0badc0de");

        var report = await CollectAsync(TimeSpan.Zero);

        var orphans = crashed.Concat(never).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(orphans, report.RemovedBulk.Select(u => u.LocalPath));
        Assert.Equal(2 * published.Sum(f => new FileInfo(f).Length), report.RemovedBulkBytes);
        Assert.Equal(15, report.BulkFiles);
        Assert.Empty(report.KeptBulk);
        Assert.Empty(report.Removed);
        Assert.All(orphans, f => Assert.False(File.Exists(f)));
        // The emptied write folders (and their column folders) are gone; the table's bulk folders stay.
        Assert.False(Directory.Exists(Path.Combine(Bulk(), "images", "20240101000000-deadbeef")));
        Assert.False(Directory.Exists(Path.Combine(Bulk(), "never-published", "20240101000000-0badc0de")));
        Assert.Equal(4, report.RemovedBulkFolders);
        Assert.All(published, f => Assert.True(File.Exists(f)));
        using var reopened = await Table.OpenAsync(table.Url);
        AssertDecodesEveryImage(reopened);

        var again = await CollectAsync(TimeSpan.Zero);
        Assert.Empty(again.RemovedBulk);
        Assert.Equal(5, again.BulkFiles);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_BulkDataOfAnotherTable_KeptWhileASquashedCopyOrARevisionNamesIt()
    {
        using var original = await WriteImagesAsync("original");
        var originalFiles = Directory.GetFiles(WriteFolder(original), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        using var copy = await original.SquashAsync(new DerivedTableOptions { Name = "copy" });
        // A revision of another table whose edit points one image at the original's bulk data.
        using var other = await WriteImagesAsync("other", rows: 2);
        var named = (string)original.Rows[3]["image"]!;
        using var revision = await other.Edit().SetValue("image", 1, named).CommitAsync();
        Assert.NotEqual(other.Url, revision.Url);
        Assert.Equal(Image(3).Pixels, Assert.IsType<ImageSample>(revision[1]["image"]).Pixels);

        // The original table is gone: its object file, chunks and folder.
        Directory.Delete(original.Url.LocalPath, recursive: true);
        var whileCopied = await CollectAsync(TimeSpan.Zero);

        Assert.Empty(whileCopied.RemovedBulk);
        Assert.Equal(7, whileCopied.BulkFiles);
        Assert.All(originalFiles, f => Assert.True(File.Exists(f)));
        using (var reopened = await Table.OpenAsync(copy.Url))
        {
            AssertDecodesEveryImage(reopened);
        }

        // Without the copy only the file the revision names stays.
        Directory.Delete(copy.Url.LocalPath, recursive: true);
        var report = await CollectAsync(TimeSpan.Zero);

        Assert.Equal(originalFiles.Where(f => f != original.ResolveUrl(named).LocalPath), report.RemovedBulk.Select(u => u.LocalPath));
        Assert.True(File.Exists(original.ResolveUrl(named).LocalPath));
        using var head = await Table.OpenAsync(revision.Url);
        Assert.Equal(Image(3).Pixels, Assert.IsType<ImageSample>(head[1]["image"]).Pixels);
        Assert.Equal(Image(0).Pixels, Assert.IsType<ImageSample>(head[0]["image"]).Pixels);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_YoungOrRunningOrphanBulkData_Kept_DryRunRemovesNothing()
    {
        using var table = await WriteImagesAsync("images");
        var orphans = CrashedWrite(WriteFolder(table), Path.Combine(Bulk(), "images"), "20240101000000-deadbeef");
        var running = CrashedWrite(WriteFolder(table), Path.Combine(Bulk(), "importing"), "import-12345678-c00000-a1-abcdefgh");
        var runningTable = Url.FromLocalPath(Path.Combine(_root.Path, "projects", "p", "datasets", "d", "tables", "importing"));

        var young = await CollectAsync(TimeSpan.FromHours(1));
        Assert.Empty(young.RemovedBulk);
        // Young files are kept without checking references: the table's own as well as the orphans.
        Assert.Equal(15, young.BulkFiles);
        Assert.Equal(15, young.KeptBulk.Count);
        Assert.Subset(young.KeptBulk.Select(u => u.LocalPath).ToHashSet(), orphans.Concat(running).ToHashSet());

        var dry = await CollectAsync(TimeSpan.Zero, dryRun: true, runningTable);
        Assert.Equal(orphans.Order(StringComparer.Ordinal), dry.RemovedBulk.Select(u => u.LocalPath));
        Assert.Equal(0, dry.RemovedBulkFolders);
        Assert.All(orphans.Concat(running), f => Assert.True(File.Exists(f)));

        var report = await CollectAsync(TimeSpan.Zero, dryRun: false, runningTable);
        Assert.Equal(orphans.Order(StringComparer.Ordinal), report.RemovedBulk.Select(u => u.LocalPath));
        Assert.Equal(running.Order(StringComparer.Ordinal), report.KeptBulk.Select(u => u.LocalPath).Order(StringComparer.Ordinal));
        Assert.All(running, f => Assert.True(File.Exists(f)));
        Assert.All(orphans, f => Assert.False(File.Exists(f)));
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_UnreadableObjectFileOrChunk_KeepsBulkDataOfItsDatasetOnly()
    {
        using var table = await WriteImagesAsync("images");
        var kept = CrashedWrite(WriteFolder(table), Path.Combine(Bulk(), "images"), "20240101000000-deadbeef");
        using var elsewhere = await WriteImagesAsync("images", dataset: "d2");
        var removable = CrashedWrite(WriteFolder(elsewhere), Path.Combine(Bulk("d2"), "images"), "20240101000000-deadbeef");
        var broken = Path.Combine(_root.Path, "projects", "p", "datasets", "d", "tables", "broken", "object.tlc.json");
        Directory.CreateDirectory(Path.GetDirectoryName(broken)!);
        File.WriteAllText(broken, "{ not json");

        var report = await CollectAsync(TimeSpan.Zero);

        Assert.Equal(removable.Order(StringComparer.Ordinal), report.RemovedBulk.Select(u => u.LocalPath));
        Assert.Equal(10, report.KeptBulk.Count);
        Assert.All(kept, f => Assert.True(File.Exists(f)));

        // A readable object file whose chunk is missing: which bulk files it names is unknown, so its dataset keeps them.
        File.Delete(broken);
        var d2Copy = await elsewhere.SquashAsync(new DerivedTableOptions { Name = "copy" });
        var chunk = Path.Combine(d2Copy.Url.LocalPath, d2Copy.Object.Chunks[0].Url);
        d2Copy.Dispose();
        File.Delete(chunk);
        var orphansOfD2 = CrashedWrite(WriteFolder(elsewhere), Path.Combine(Bulk("d2"), "images"), "20240101000000-feedface");

        var second = await CollectAsync(TimeSpan.Zero);

        Assert.Equal(kept.Order(StringComparer.Ordinal), second.RemovedBulk.Select(u => u.LocalPath));
        Assert.All(orphansOfD2, f => Assert.True(File.Exists(f)));
        using var reopened = await Table.OpenAsync(table.Url);
        AssertDecodesEveryImage(reopened);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_DenseEditChunk_KeptWhileItsRevisionNamesIt_RemovedWhenNeverPublishedOrTheRevisionIsGone()
    {
        using var table = await WriteAsync("dense");
        var rows = Enumerable.Range(0, 100).Select(i => (long)i).ToArray();
        using var revision = await table.Edit()
            .AddColumn("embedding", new EmbeddingSchema(8))
            .SetEach("embedding", rows, rows.Select(r => (object?)Enumerable.Range(0, 8).Select(k => (r * 0.37f) + k).ToArray()).ToArray())
            .CommitAsync();
        var chunk = Path.Combine(revision.Url.LocalPath, revision.Object.Edits!["embedding"].Chunk!.Url);
        var hash = revision.ContentHash();
        // What a commit whose process died before publishing its object file leaves: a dense chunk in the next revision's
        // folder, and an edit sidecar of runs beside a published revision.
        var neverPublished = Path.Combine(revision.Url.Parent.LocalPath, "dense.r0002", "column-0123456789abcdef-000.arrow");
        Directory.CreateDirectory(Path.GetDirectoryName(neverPublished)!);
        File.Copy(chunk, neverPublished);
        var strayRuns = Path.Combine(revision.Url.LocalPath, "edits-0123456789abcdef-001.arrow");
        File.Copy(chunk, strayRuns);

        var young = await CollectAsync(TimeSpan.FromHours(1));
        Assert.Empty(young.Removed);
        var orphans = new[] { neverPublished, strayRuns }.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(orphans, young.Kept.Select(u => u.LocalPath).Order(StringComparer.Ordinal));

        var report = await CollectAsync(TimeSpan.Zero);

        Assert.Equal(orphans, report.Removed.Select(u => u.LocalPath).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(chunk));
        Assert.False(File.Exists(neverPublished) || File.Exists(strayRuns));
        using (var reopened = await Table.OpenAsync(revision.Url))
        {
            Assert.Equal(hash, reopened.ContentHash());
        }

        // The revision is removed (its object file gone): nothing names its chunk any more.
        revision.Dispose();
        File.Delete(Path.Combine(revision.Url.LocalPath, "object.tlc.json"));
        var gone = await CollectAsync(TimeSpan.Zero);

        Assert.Equal([chunk], gone.Removed.Select(u => u.LocalPath));
        Assert.False(File.Exists(chunk));
        using var root = await Table.OpenAsync(table.Url);
        Assert.Equal(100, root.RowCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_BulkDataNamedOnlyByADenseEditChunk_Kept()
    {
        // Enough rows that the edit's values (stored relative, about 60 bytes each) make a dense chunk rather than inline runs.
        const int rows = 100;
        using var original = await WriteImagesAsync("original", rows);
        var originalFiles = Directory.GetFiles(WriteFolder(original), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        // Every row of another table pointed at the original's image of the same row: one URL per row, a dense chunk of strings.
        using var other = await WriteImagesAsync("other", rows);
        var all = Enumerable.Range(0, rows).Select(i => (long)i).ToArray();
        using var revision = await other.Edit().SetEach("image", all, all.Select(r => original.Rows[r]["image"]).ToArray()).CommitAsync();
        Assert.NotNull(revision.Object.Edits!["image"].Chunk);
        Directory.Delete(original.Url.LocalPath, recursive: true);

        var report = await CollectAsync(TimeSpan.Zero);

        Assert.Equal(2 * rows, report.BulkFiles);
        Assert.Empty(report.RemovedBulk);
        Assert.Empty(report.Removed);
        Assert.All(originalFiles, f => Assert.True(File.Exists(f)));
        using var head = await Table.OpenAsync(revision.Url);
        AssertDecodesEveryImage(head);
    }
}
