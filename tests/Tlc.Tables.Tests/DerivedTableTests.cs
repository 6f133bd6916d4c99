using Tlc.Schemas;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

public sealed class DerivedTableTests : IDisposable
{
    private readonly TempRoot _root = new("derived");

    public void Dispose() => _root.Dispose();

    private async Task<Table> WriteAsync(string name, int rows, int offset = 0, int batchRows = 64)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["id"] = new Int64Schema(), ["label"] = new CategoricalLabelSchema(["a", "b", "c", "d"]), ["x"] = new Float64Schema() },
            Project = "p",
            Dataset = "d",
            Table = name,
            Root = _root.Url,
            Settings = _root.Settings,
            BatchRows = batchRows,
        });
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = (long)(i + offset), ["label"] = (i + offset) % 4, ["x"] = (i + offset) * 0.5 });
        }
        return await writer.FinalizeAsync();
    }

    [Fact]
    public async Task Filter_ByPredicates_KeepsMatchingRowsAndRecordsLineage()
    {
        var table = await WriteAsync("t", 1000);
        var filtered = await table.FilterAsync([ColumnPredicate.Eq("label", "b"), ColumnPredicate.Parse("x>=100")], new DerivedTableOptions { Name = "b_big" });

        var expected = Enumerable.Range(0, 1000).Where(i => i % 4 == 1 && i * 0.5 >= 100).Select(i => (long)i).ToList();
        Assert.Equal(expected, filtered.Rows.Select(r => (long)r["id"]!));
        Assert.Equal(LineageKinds.Filter, filtered.Object.Lineage.Kind);
        Assert.Contains("\"op\":\"Equal\"", filtered.Object.Lineage.Details!.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(filtered.Object.Chunks);
        Assert.Equal(expected[3], filtered.MapRowToParent(3));
    }

    [Fact]
    public async Task Subset_SameSeed_SameRowsInOrder()
    {
        var table = await WriteAsync("t", 500);
        var a = await table.SubsetAsync(0.1, seed: 7, new DerivedTableOptions { Name = "a" });
        var b = await table.SubsetAsync(0.1, seed: 7, new DerivedTableOptions { Name = "b" });
        var c = await table.SubsetAsync(0.1, seed: 8, new DerivedTableOptions { Name = "c" });

        Assert.Equal(50, a.RowCount);
        var ids = a.Rows.Select(r => (long)r["id"]!).ToList();
        Assert.Equal(ids, b.Rows.Select(r => (long)r["id"]!));
        Assert.NotEqual(ids, c.Rows.Select(r => (long)r["id"]!));
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(50, ids.Distinct().Count());
    }

    [Fact]
    public async Task Subset_IndexRanges_KeepsThoseRows()
    {
        var table = await WriteAsync("t", 100);
        var subset = await table.SubsetAsync([(10, 5), (90, 10)], new DerivedTableOptions { Name = "ranges" });
        Assert.Equal([10L, 11, 12, 13, 14, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99], subset.Rows.Select(r => (long)r["id"]!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => table.SubsetAsync([(95, 10)], new DerivedTableOptions { Name = "bad" }));
    }

    [Fact]
    public async Task Join_CompatibleTables_ConcatenatesRows_AndSquashEqualsDirectWrite()
    {
        var first = await WriteAsync("first", 300, batchRows: 50);
        var second = await WriteAsync("second", 200, offset: 300, batchRows: 70);
        var joined = await Table.JoinAsync([first, second], new DerivedTableOptions { Name = "joined" });
        var direct = await WriteAsync("direct", 500, batchRows: 128);

        Assert.Equal(500, joined.RowCount);
        Assert.Equal(299L, joined.Rows[299]["id"]);
        Assert.Equal(300L, joined.Rows[300]["id"]);
        Assert.Equal(2, joined.Object.Lineage.Parents.Count);
        Assert.Equal(direct.ContentHash(), joined.ContentHash());
        var squashed = await joined.SquashAsync(new DerivedTableOptions { Name = "squashed" });
        Assert.Equal(direct.ContentHash(), squashed.ContentHash());
    }

    [Fact]
    public async Task Join_DifferentColumns_IsRefused()
    {
        var first = await WriteAsync("first", 3);
        var other = await first.Edit().DeleteColumn("x").CommitAsync();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Table.JoinAsync([first, other], new DerivedTableOptions { Name = "j" }));
        Assert.Contains("columns differ (x)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContentHash_IndependentOfChunking()
    {
        var a = await WriteAsync("a", 1000, batchRows: 13);
        var b = await WriteAsync("b", 1000, batchRows: 512);
        var c = await WriteAsync("c", 999);
        Assert.Equal(a.ContentHash(), b.ContentHash());
        Assert.NotEqual(a.ContentHash(), c.ContentHash());
    }

    [Fact]
    public async Task WithTransform_ViewAppliesFunctionsInOrder()
    {
        var table = await WriteAsync("t", 10);
        var view = table.WithTransform(s => (long)s["id"]!).WithTransform(id => id * 10);
        Assert.Equal(10, view.Count);
        Assert.Equal(70, view[7]);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 10L), view);
    }
}
