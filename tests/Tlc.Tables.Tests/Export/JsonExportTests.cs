using System.Text.Json;
using Tlc.Schemas;
using Tlc.Tables.Export;
using Tlc.Testing;
using static Tlc.Tables.Tests.Export.ExportTestTables;

namespace Tlc.Tables.Tests.Export;

public sealed class JsonExportTests : IDisposable
{
    private readonly TempRoot _root = new("json-export");

    public void Dispose() => _root.Dispose();

    private static void AssertMixedRow(JsonElement row, int i)
    {
        Assert.Equal(i, row.GetProperty("id").GetInt64());
        Assert.Equal(Score(i), row.GetProperty("score").GetSingle());
        Assert.Equal(Math.PI * i, row.GetProperty("ratio").GetDouble());
        var name = row.GetProperty("name");
        Assert.Equal(Name(i), name.ValueKind == JsonValueKind.Null ? null : name.GetString());
        Assert.Equal(i % 2 == 0, row.GetProperty("flag").GetBoolean());
        Assert.Equal(i % 3, row.GetProperty("label").GetInt32());
        Assert.Equal(Embedding(i), row.GetProperty("emb").EnumerateArray().Select(e => e.GetSingle()));
        var bbs = row.GetProperty("bbs");
        Assert.Equal(JsonValueKind.Object, bbs.ValueKind);
        Assert.Equal(640f, bbs.GetProperty("image_width").GetSingle());
        var boxes = bbs.GetProperty("bb_list").EnumerateArray().ToList();
        var expected = Boxes(i).Boxes;
        Assert.Equal(expected.Count, boxes.Count);
        for (var k = 0; k < boxes.Count; k++)
        {
            Assert.Equal(expected[k].X0, boxes[k].GetProperty("x0").GetSingle());
            Assert.Equal(expected[k].Y0, boxes[k].GetProperty("y0").GetSingle());
            Assert.Equal(expected[k].X1, boxes[k].GetProperty("x1").GetSingle());
            Assert.Equal(expected[k].Y1, boxes[k].GetProperty("y1").GetSingle());
            Assert.Equal(expected[k].Label, boxes[k].GetProperty("label").GetInt32());
        }
    }

    [Fact]
    public async Task ExportJson_Lines_OneObjectPerLineWithEveryValue()
    {
        using var table = await WriteMixedAsync(_root, 10, batchRows: 3);
        var path = _root.File("out/mixed.ndjson");

        var result = await table.ExportJsonAsync(path);

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(10, result.Rows);
        Assert.Equal(10, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            Assert.Equal(["id", "score", "ratio", "name", "flag", "label", "emb", "bbs", "weight"], doc.RootElement.EnumerateObject().Select(p => p.Name));
            AssertMixedRow(doc.RootElement, i);
        }
    }

    [Fact]
    public async Task ExportJson_Array_IsOneArrayOfRowObjects()
    {
        using var table = await WriteMixedAsync(_root, 6);
        var path = _root.File("out/mixed.json");

        await table.ExportJsonAsync(path, new JsonExportOptions { Format = JsonExportFormat.Array, Indented = true });

        using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        Assert.Equal(6, doc.RootElement.GetArrayLength());
        for (var i = 0; i < 6; i++)
        {
            AssertMixedRow(doc.RootElement[i], i);
        }
    }

    [Fact]
    public async Task ExportJson_WeightThresholdOnRevision_LeavesOutExactlyLowWeightRows()
    {
        using var table = await WriteMixedAsync(_root, 12, batchRows: 5);
        using var revision = await ZeroWeightsAsync(table, 2, 3, 11);
        var path = _root.File("out/filtered.json");

        await revision.ExportJsonAsync(path, new JsonExportOptions { Format = JsonExportFormat.Array, WeightThreshold = 0.01f, Columns = ["id", "weight"] });

        using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
        Assert.Equal(Enumerable.Range(0, 12).Where(i => i is not (2 or 3 or 11)).Select(i => (long)i),
            doc.RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
        Assert.All(doc.RootElement.EnumerateArray(), r => Assert.Equal(1f, r.GetProperty("weight").GetSingle()));
    }

    [Fact]
    public async Task ExportJson_SpecialValues_NonFiniteFloatsBytesAndTimestamps()
    {
        var when = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(1230);
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["f"] = new Float32Schema(), ["b"] = new BytesSchema(), ["t"] = new DateTimeSchema() },
            Root = _root.Url, Settings = _root.Settings, Table = "special",
        });
        writer.AddRow(new Dictionary<string, object?> { ["f"] = float.NaN, ["b"] = new byte[] { 1, 2, 255 }, ["t"] = when });
        writer.AddRow(new Dictionary<string, object?> { ["f"] = float.NegativeInfinity, ["b"] = Array.Empty<byte>(), ["t"] = when });
        using var table = await writer.FinalizeAsync();
        var path = _root.File("out/special.ndjson");

        await table.ExportJsonAsync(path);

        var lines = (await File.ReadAllLinesAsync(path)).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal("NaN", lines[0].GetProperty("f").GetString());
        Assert.Equal("-Infinity", lines[1].GetProperty("f").GetString());
        Assert.Equal([1, 2, 255], lines[0].GetProperty("b").GetBytesFromBase64());
        Assert.Equal(when, lines[0].GetProperty("t").GetDateTimeOffset());
    }
}
