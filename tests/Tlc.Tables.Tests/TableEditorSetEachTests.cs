using Tlc.Schemas;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

public sealed class TableEditorSetEachTests : IDisposable
{
    private readonly TempRoot _root = new("set-each");

    public void Dispose() => _root.Dispose();

    private async Task<Table> WriteAsync(int rows)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["id"] = new Int64Schema() },
            Project = "p",
            Dataset = "d",
            Table = "base",
            Root = _root.Url,
            Settings = _root.Settings,
            BatchRows = 64,
        });
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = (long)i });
        }
        return await writer.FinalizeAsync();
    }

    [Fact]
    public async Task SetEach_AddedColumn_EveryRowGetsItsOwnValueAndOneSummaryLine()
    {
        using var table = await WriteAsync(300);
        var rows = Enumerable.Range(0, 300).Select(i => (long)i).ToArray();
        var values = rows.Select(r => (object?)new[] { r * 0.5f, -r }).ToArray();
        using var revision = await table.Edit()
            .AddColumn("xy", new EmbeddingSchema(2))
            .SetEach("xy", rows, values)
            .CommitAsync();
        Assert.Equal(300, revision.RowCount);
        Assert.Equal([149.5f, -299f], (float[])revision.GetValue("xy", 299)!);
        Assert.Equal([0f, 0f], (float[])revision.GetValue("xy", 0)!);
        Assert.Equal("add column xy; set xy on 300 row(s)", revision.Object.Lineage.Details!["summary"]!.GetValue<string>());
    }

    [Fact]
    public async Task SetEach_CountsDisagreeOrRowOutside_IsAnError()
    {
        using var table = await WriteAsync(5);
        var e = Assert.Throws<ArgumentException>(() => table.Edit().SetEach("id", [0, 1], [1L]));
        Assert.Contains("2 rows but 1 values", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Edit().SetEach("id", [0, 5], [1L, 2L]));
        Assert.Throws<KeyNotFoundException>(() => table.Edit().SetEach("nope", [0], [1L]));
    }
}
