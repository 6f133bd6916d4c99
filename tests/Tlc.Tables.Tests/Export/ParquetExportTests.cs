using Parquet;
using Parquet.Serialization;
using Tlc.Tables.Export;
using Tlc.Testing;
using static Tlc.Tables.Tests.Export.ExportTestTables;

namespace Tlc.Tables.Tests.Export;

public sealed class ParquetExportTests : IDisposable
{
    private readonly TempRoot _root = new("parquet-export");

    public void Dispose() => _root.Dispose();

    /// <summary>Reads a Parquet file with Parquet.Net (independent of the writer): rows as dictionaries, and the footer's row count.</summary>
    private static async Task<(IList<Dictionary<string, object>> Rows, long FooterRows, string[] Columns)> ReadAsync(string path)
    {
        long footerRows;
        string[] columns;
        await using (var stream = File.OpenRead(path))
        await using (var reader = await ParquetReader.CreateAsync(stream))
        {
            footerRows = reader.Metadata!.NumRows;
            columns = reader.Schema.Fields.Select(f => f.Name).ToArray();
        }
        await using var data = File.OpenRead(path);
        var result = await ParquetSerializer.DeserializeUntypedAsync(data);
        return (result.Data, footerRows, columns);
    }

    [Fact]
    public async Task ExportParquet_EveryKindOfColumn_ParquetNetReadsSameValues()
    {
        using var table = await WriteMixedAsync(_root, 9, batchRows: 4);
        var path = _root.File("out/mixed.parquet");

        var result = await table.ExportParquetAsync(path);

        var (rows, footerRows, columns) = await ReadAsync(path);
        Assert.Equal(9, result.Rows);
        Assert.Equal(9, footerRows);
        Assert.Equal(9, rows.Count);
        Assert.Equal(["id", "score", "ratio", "name", "flag", "label", "emb", "bbs", "weight"], columns);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            Assert.Equal((long)i, row["id"]);
            Assert.Equal(Score(i), row["score"]);
            Assert.Equal(Math.PI * i, row["ratio"]);
            Assert.Equal(Name(i), row.TryGetValue("name", out var name) ? name?.ToString() : null);
            Assert.Equal(i % 2 == 0, row["flag"]);
            Assert.Equal(i % 3, row["label"]);
            Assert.Equal(1f, row["weight"]);
            Assert.Equal(Embedding(i), ((IEnumerable<float>)row["emb"]).ToArray());

            var bbs = (IDictionary<string, object>)row["bbs"];
            Assert.Equal(640f, bbs["image_width"]);
            Assert.Equal(480f, bbs["image_height"]);
            var boxes = ((System.Collections.IEnumerable)bbs["bb_list"]).Cast<IDictionary<string, object>>().ToList();
            var expected = Boxes(i).Boxes;
            Assert.Equal(expected.Count, boxes.Count);
            for (var k = 0; k < boxes.Count; k++)
            {
                Assert.Equal(expected[k].X0, boxes[k]["x0"]);
                Assert.Equal(expected[k].Y0, boxes[k]["y0"]);
                Assert.Equal(expected[k].X1, boxes[k]["x1"]);
                Assert.Equal(expected[k].Y1, boxes[k]["y1"]);
                Assert.Equal(expected[k].Label, boxes[k]["label"]);
            }
        }
    }

    [Fact]
    public async Task ExportParquet_WeightThresholdOnRevision_LeavesOutExactlyLowWeightRows()
    {
        using var table = await WriteMixedAsync(_root, 30, batchRows: 7);
        using var revision = await ZeroWeightsAsync(table, 0, 7, 8, 29);
        var path = _root.File("out/filtered.parquet");

        var result = await revision.ExportParquetAsync(path, new ExportOptions { WeightThreshold = 0.5f, Columns = ["id", "emb", "bbs"] });

        var (rows, footerRows, columns) = await ReadAsync(path);
        var expected = Enumerable.Range(0, 30).Where(i => i is not (0 or 7 or 8 or 29)).ToArray();
        Assert.Equal(26, footerRows);
        Assert.Equal((26L, 4L), (result.Rows, result.SkippedRows));
        Assert.Equal(["id", "emb", "bbs"], columns);
        Assert.Equal(expected.Select(i => (long)i), rows.Select(r => (long)r["id"]));
        // Rebuilt batches keep nested values intact.
        Assert.Equal(expected.Select(Embedding), rows.Select(r => ((IEnumerable<float>)r["emb"]).ToArray()));
        Assert.Equal(expected.Select(i => Boxes(i).Boxes.Count),
            rows.Select(r => ((System.Collections.IEnumerable)((IDictionary<string, object>)r["bbs"])["bb_list"]).Cast<object>().Count()));
    }

    [Fact]
    public async Task ExportParquet_EmptyTable_HasSchemaAndNoRows()
    {
        using var table = await WriteMixedAsync(_root, 0);
        var path = _root.File("out/empty.parquet");

        await table.ExportParquetAsync(path, new ExportOptions { Columns = ["id", "name"] });

        var (rows, footerRows, columns) = await ReadAsync(path);
        Assert.Equal(0, footerRows);
        Assert.Empty(rows);
        Assert.Equal(["id", "name"], columns);
    }

    [Fact]
    public async Task ExportParquet_Failed_LeavesNothingAtTarget()
    {
        using var table = await WriteMixedAsync(_root, 3);
        var path = _root.File("out/none.parquet");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => table.ExportParquetAsync(path, null, cancelled.Token));
        await Assert.ThrowsAsync<ExportException>(() => table.ExportParquetAsync(path, new ExportOptions { Columns = ["id", "id"] }));

        Assert.Empty(FilesUnder(Path.GetDirectoryName(path)!));
    }
}
