using Tlc.Schemas;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

/// <summary>What a root holds, as the CLI's listings and the dashboard's browse pages read it.</summary>
public sealed class RootCatalogTests : IDisposable
{
    private readonly TempRoot _root = new("catalog");

    public void Dispose() => _root.Dispose();

    private async Task WriteAsync(string project, string dataset, string table)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["x"] = new Int64Schema() }, Project = project, Dataset = dataset, Table = table, Root = _root.Url, Settings = _root.Settings,
        });
        writer.AddRow(new Dictionary<string, object?> { ["x"] = 1L });
        using var _ = await writer.FinalizeAsync();
    }

    [Fact]
    public async Task ListTables_SeveralProjects_SortedWithTheirObjectsAndFilteredByProjectAndDataset()
    {
        await WriteAsync("b", "d2", "t1");
        await WriteAsync("a", "d1", "z");
        await WriteAsync("a", "d1", "m");
        await WriteAsync("a", "d0", "k");
        var adapters = Tlc.Tables.Urls.UrlAdapterRegistry.Default;

        var all = await RootCatalog.ListTablesAsync(adapters, _root.Url, cancellationToken: TestContext.Current.CancellationToken);
        var a = await RootCatalog.ListTablesAsync(adapters, _root.Url, "a", "d1", TestContext.Current.CancellationToken);

        Assert.Equal(["a/d0/k", "a/d1/m", "a/d1/z", "b/d2/t1"], all.Select(t => $"{t.Project}/{t.Dataset}/{t.Object.Name}"));
        Assert.All(all, t => Assert.Equal(1, t.Object.RowCount));
        Assert.Equal(["m", "z"], a.Select(t => t.Object.Name));
        Assert.Equal(["a", "b"], await RootCatalog.ListProjectsAsync(adapters, _root.Url, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ListRuns_RunFoldersWithSnapshots_FoldersWithoutObjectFileSkipped()
    {
        Directory.CreateDirectory(Path.Combine(_root.Path, "projects/p/runs/r2"));
        await File.WriteAllTextAsync(_root.File("projects/p/runs/r1/object.tlc.json"), """{"type":"run","status":"Completed"}""", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(_root.File("projects/p/runs/r3/object.tlc.json"), "not json", TestContext.Current.CancellationToken);

        var runs = await RootCatalog.ListRunsAsync(Tlc.Tables.Urls.UrlAdapterRegistry.Default, _root.Url, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["r1", "r3"], runs.Select(r => r.Name));
        Assert.Equal("Completed", (string?)runs[0].Snapshot["status"]);
        Assert.Empty(runs[1].Snapshot);
    }
}
