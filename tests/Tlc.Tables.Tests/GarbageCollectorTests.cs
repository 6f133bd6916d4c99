using Tlc.Schemas;
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
}
