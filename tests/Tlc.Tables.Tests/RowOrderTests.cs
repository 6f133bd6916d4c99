using Tlc.Schemas;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

/// <summary>
/// Tables whose object file names a row order (<see cref="TableObject.RowOrderProperty"/>): a metrics table written by
/// several ranks holds each rank's rows in the order it wrote them; every read path returns them by example_id.
/// </summary>
public sealed class RowOrderTests : IDisposable
{
    private readonly TempRoot _root = new("roworder");

    public void Dispose() => _root.Dispose();

    private async Task<Url> WriteAsync(string name, IEnumerable<long> ids, string? orderBy, int chunkRows = 70)
    {
        var schema = new TableSchema { ["example_id"] = new ExampleIdSchema(), ["loss"] = new Float32Schema(), ["tag"] = new StringSchema() };
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = schema, Project = "p", Dataset = "d", Table = name, Root = _root.Url, Settings = _root.Settings, BatchRows = 25, ChunkRows = chunkRows,
        });
        foreach (var id in ids)
        {
            writer.AddRow(new Dictionary<string, object?> { ["example_id"] = id, ["loss"] = id * 0.25f, ["tag"] = $"t{id}" });
        }
        using var table = await writer.FinalizeAsync();
        if (orderBy is not null)
        {
            var adapters = table.Adapters;
            var stored = await ObjectFiles.ReadAsync(adapters, table.Url, CancellationToken.None);
            stored.Properties = new() { [TableObject.RowOrderProperty] = orderBy };
            await ObjectFiles.PublishAsync(adapters, table.Url, stored, Tlc.Tables.Urls.WriteMode.Overwrite, CancellationToken.None);
        }
        return table.Url;
    }

    /// <summary>Three ranks' shares as DistributedSampler cuts them (r, r+3, …), each shuffled, one after another.</summary>
    private static long[] Interleaved(int rows) => [.. Enumerable.Range(0, 3).SelectMany(rank =>
    {
        var share = Enumerable.Range(0, rows).Where(i => i % 3 == rank).Select(i => (long)i).ToArray();
        new Random(rank).Shuffle(share);
        return share;
    })];

    [Fact]
    public async Task Open_RowOrderExampleId_RanksInterleaved_EveryReadPathSortedByExampleId()
    {
        const int rows = 500;
        var url = await WriteAsync("interleaved", Interleaved(rows), "example_id");
        using var table = await Table.OpenAsync(url, adapters: null, TestContext.Current.CancellationToken);

        Assert.Equal(rows, table.RowCount);
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal((long)r, table.Rows[r]["example_id"]));
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(r * 0.25f, table.GetValue("loss", r)));
        Assert.Equal($"t{rows - 1}", table[rows - 1]["tag"]);
        var scanned = table.ScanBatches(TestContext.Current.CancellationToken)
            .SelectMany(b => Enumerable.Range(0, b.Length).Select(i => ((Apache.Arrow.Int64Array)b.Column(0)).GetValue(i)!.Value)).ToArray();
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (long)i), scanned);
        Assert.Equal(Enumerable.Range(0, rows).Select(i => $"t{i}"), table.Column("tag").ArrowArrays().SelectMany(a => Enumerable.Range(0, a.Length).Select(i => ((Apache.Arrow.StringArray)a).GetString(i))));
    }

    [Fact]
    public async Task Open_NoRowOrder_RowsAsStored()
    {
        var ids = Interleaved(90);
        var url = await WriteAsync("stored", ids, orderBy: null);
        using var table = await Table.OpenAsync(url, adapters: null, TestContext.Current.CancellationToken);

        Assert.Equal(ids, Enumerable.Range(0, ids.Length).Select(r => (long)table.Rows[r]["example_id"]!));
    }

    [Fact]
    public async Task Open_RowOrderNamesNoInt64Column_ClearErrorNamingTheObjectFile()
    {
        var url = await WriteAsync("wrong", [2, 1, 0], "tag");

        var error = await Assert.ThrowsAsync<FormatException>(() => Table.OpenAsync(url, adapters: null, TestContext.Current.CancellationToken));
        Assert.Contains("object", error.Message, StringComparison.Ordinal);
        Assert.Contains("'tag'", error.Message, StringComparison.Ordinal);
    }
}
