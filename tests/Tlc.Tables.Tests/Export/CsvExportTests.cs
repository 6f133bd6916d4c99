using System.Globalization;
using System.Text.Json;
using nietras.SeparatedValues;
using Tlc.Schemas;
using Tlc.Tables.Export;
using Tlc.Testing;
using static Tlc.Tables.Tests.Export.ExportTestTables;

namespace Tlc.Tables.Tests.Export;

public sealed class CsvExportTests : IDisposable
{
    private readonly TempRoot _root = new("csv-export");

    public void Dispose() => _root.Dispose();

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        using var reader = Sep.Reader(o => o with { Unescape = true }).FromFile(path);
        var names = reader.Header.ColNames.ToArray();
        var rows = new List<Dictionary<string, string>>();
        foreach (var row in reader)
        {
            var values = new Dictionary<string, string>();
            foreach (var n in names)
            {
                values[n] = row[n].ToString();
            }
            rows.Add(values);
        }
        return rows;
    }

    [Fact]
    public async Task ExportCsv_EveryKindOfColumn_ReadsBackEqual()
    {
        using var table = await WriteMixedAsync(_root, 12, batchRows: 5);
        var path = _root.File("out/mixed.csv");

        var result = await table.ExportCsvAsync(path);

        Assert.Equal(12, result.Rows);
        Assert.Equal(0, result.SkippedRows);
        Assert.StartsWith("id,score,ratio,name,flag,label,emb,bbs,weight\n", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        var rows = ReadCsv(path);
        Assert.Equal(12, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            Assert.Equal(i, long.Parse(row["id"], CultureInfo.InvariantCulture));
            Assert.Equal(Score(i), float.Parse(row["score"], CultureInfo.InvariantCulture));
            Assert.Equal(Math.PI * i, double.Parse(row["ratio"], CultureInfo.InvariantCulture));
            Assert.Equal(Name(i) ?? "", row["name"]);
            Assert.Equal(i % 2 == 0 ? "true" : "false", row["flag"]);
            Assert.Equal((i % 3).ToString(CultureInfo.InvariantCulture), row["label"]);
            Assert.Equal(Embedding(i), JsonSerializer.Deserialize<float[]>(row["emb"]));
            Assert.Equal("1", row["weight"]);

            using var bbs = JsonDocument.Parse(row["bbs"]);
            Assert.Equal(640f, bbs.RootElement.GetProperty("image_width").GetSingle());
            Assert.Equal(480f, bbs.RootElement.GetProperty("image_height").GetSingle());
            var boxes = bbs.RootElement.GetProperty("bb_list").EnumerateArray().ToList();
            var expected = Boxes(i).Boxes;
            Assert.Equal(expected.Count, boxes.Count);
            for (var k = 0; k < boxes.Count; k++)
            {
                Assert.Equal(expected[k].X0, boxes[k].GetProperty("x0").GetSingle());
                Assert.Equal(expected[k].Y1, boxes[k].GetProperty("y1").GetSingle());
                Assert.Equal(expected[k].Label, boxes[k].GetProperty("label").GetInt32());
            }
        }
    }

    [Fact]
    public async Task ExportCsv_WeightThreshold_LeavesOutExactlyZeroWeightRowsOfRevision()
    {
        using var table = await WriteMixedAsync(_root, 20, batchRows: 6);
        using var revision = await ZeroWeightsAsync(table, 1, 5, 6, 19);
        var filtered = _root.File("out/filtered.csv");
        var all = _root.File("out/all.csv");

        var result = await revision.ExportCsvAsync(filtered, new ExportOptions { WeightThreshold = 0.5f });
        await revision.ExportCsvAsync(all);

        var expected = Enumerable.Range(0, 20).Where(i => i is not (1 or 5 or 6 or 19)).Select(i => (long)i).ToArray();
        Assert.Equal(expected, ReadCsv(filtered).Select(r => long.Parse(r["id"], CultureInfo.InvariantCulture)));
        Assert.Equal(16, result.Rows);
        Assert.Equal(4, result.SkippedRows);
        var allRows = ReadCsv(all);
        Assert.Equal(20, allRows.Count);
        Assert.Equal("0", allRows[5]["weight"]);
    }

    [Fact]
    public async Task ExportCsv_ColumnSubset_WritesOnlyThoseColumnsInThatOrder()
    {
        using var table = await WriteMixedAsync(_root, 3);
        var path = _root.File("out/subset.csv");

        await table.ExportCsvAsync(path, new ExportOptions { Columns = ["name", "id"] });

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal("name,id", lines[0]);
        Assert.Equal(",0", lines[1]);
        Assert.Equal("\"has, comma\",1", lines[2]);
    }

    [Fact]
    public async Task ExportCsv_EmptyTable_WritesHeaderOnly()
    {
        using var table = await WriteMixedAsync(_root, 0);
        var path = _root.File("out/empty.csv");

        await table.ExportCsvAsync(path, new ExportOptions { Columns = ["id", "score"] });

        Assert.Equal("id,score", (await File.ReadAllTextAsync(path)).TrimEnd());
    }

    [Fact]
    public async Task ExportCsv_UnknownColumnOrNoWeightColumn_ClearErrorAndNoFile()
    {
        using var table = await WriteMixedAsync(_root, 2);
        var path = _root.File("out/bad.csv");

        var unknown = await Assert.ThrowsAsync<ExportException>(() => table.ExportCsvAsync(path, new ExportOptions { Columns = ["id", "nope"] }));
        Assert.Contains("no column 'nope'", unknown.Message, StringComparison.Ordinal);

        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["x"] = new Int32Schema() }, Root = _root.Url, Settings = _root.Settings, Table = "noweight", AddWeightColumn = false,
        });
        writer.AddRow(new Dictionary<string, object?> { ["x"] = 1 });
        using var unweighted = await writer.FinalizeAsync();
        var noWeight = await Assert.ThrowsAsync<ExportException>(() => unweighted.ExportCsvAsync(path, new ExportOptions { WeightThreshold = 1 }));
        Assert.Contains("weight column", noWeight.Message, StringComparison.Ordinal);
        Assert.Empty(FilesUnder(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task ExportCsv_Cancelled_LeavesExistingFileUntouchedAndNoTemporaries()
    {
        using var table = await WriteMixedAsync(_root, 5);
        var path = _root.File("out/kept.csv");
        await File.WriteAllTextAsync(path, "old content");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => table.ExportCsvAsync(path, null, cancelled.Token));

        Assert.Equal("old content", await File.ReadAllTextAsync(path));
        Assert.Equal(["kept.csv"], FilesUnder(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task ExportCsv_OverwriteFalse_ExistingTargetIsAnError()
    {
        using var table = await WriteMixedAsync(_root, 1);
        var path = _root.File("out/exists.csv");
        await File.WriteAllTextAsync(path, "x");

        await Assert.ThrowsAsync<Tlc.Tables.Urls.UrlAlreadyExistsException>(() => table.ExportCsvAsync(path, new ExportOptions { Overwrite = false }));

        Assert.Equal("x", await File.ReadAllTextAsync(path));
    }
}
