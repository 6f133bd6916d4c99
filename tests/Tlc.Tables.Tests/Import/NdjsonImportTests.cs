using System.Text;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class NdjsonImportTests : IDisposable
{
    private readonly TempRoot _root = new("ndjson");

    public void Dispose() => _root.Dispose();

    private NdjsonImportOptions Options(string table = "t", IReadOnlyDictionary<string, ColumnSchema>? schema = null, int inferenceLines = 10_000,
        int? batchRows = null, IfExists ifExists = IfExists.Raise) => new()
    {
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = _root.Url,
        Settings = _root.Settings,
        IfExists = ifExists,
        Schema = schema,
        InferenceLines = inferenceLines,
        BatchRows = batchRows,
    };

    private string Write(string name, string text)
    {
        var path = _root.File($"input/{name}");
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public async Task FromNdjson_MixedValues_InfersColumnsTypesAndNullability()
    {
        var path = Write("mixed.ndjson",
            """
            {"id": 1, "x": 1, "ok": true, "name": "a", "emb": [0.5, 1, 2], "ids": [1, 2], "meta": {"w": 3, "tag": "t"}}

            {"id": 2, "x": 2.5, "ok": false, "name": null, "emb": [1.5, 2, 3], "ids": [], "meta": {"w": 4}, "extra": "e"}
            {"id": 3, "x": -4, "ok": true, "emb": [0, 0, 0.25], "ids": [7, 8, 9], "meta": {"w": 5, "tag": "u"}}
            """.Replace("\n", "\r\n"));

        using var table = await Table.FromNdjsonAsync(path, Options());

        Assert.Equal(3, table.RowCount);
        Assert.Equal(["id", "x", "ok", "name", "emb", "ids", "meta", "extra", "weight"], table.Schema.Names);
        Assert.IsType<Int64Schema>(table.Schema["id"]);
        Assert.False(table.Schema["id"].Nullable);
        Assert.IsType<Float64Schema>(table.Schema["x"]);
        Assert.IsType<BoolSchema>(table.Schema["ok"]);
        Assert.IsType<StringSchema>(table.Schema["name"]);
        Assert.True(table.Schema["name"].Nullable);
        Assert.Equal(3, Assert.IsType<EmbeddingSchema>(table.Schema["emb"]).Dimensions);
        var ids = Assert.IsType<ListSchema>(table.Schema["ids"]);
        Assert.IsType<Int64Schema>(ids.Element);
        var meta = Assert.IsType<StructSchema>(table.Schema["meta"]);
        Assert.IsType<Int64Schema>(meta.Field("w"));
        Assert.True(meta.Field("tag")!.Nullable);
        Assert.False(meta.Field("w")!.Nullable);
        Assert.True(table.Schema["extra"].Nullable);

        Assert.Equal([1.0, 2.5, -4.0], table.Rows.Select(r => (double)r["x"]!));
        Assert.Equal(["a", null, null], table.Rows.Select(r => (string?)r["name"]));
        Assert.Equal([1.5f, 2f, 3f], (float[])table.Rows[1]["emb"]!);
        Assert.Equal([7L, 8L, 9L], (long[])table.Rows[2]["ids"]!);
        Assert.Empty((long[])table.Rows[1]["ids"]!);
        var m = Assert.IsType<StructValue>(table.Rows[1]["meta"]);
        Assert.Equal(4L, m["w"]);
        Assert.Null(m["tag"]);
        Assert.Equal("u", ((StructValue)table.Rows[2]["meta"]!)["tag"]);
        Assert.Equal([null, "e", null], table.Rows.Select(r => (string?)r["extra"]));
        Assert.Equal("ndjson", (string?)table.Object.Source!["format"]);
    }

    [Fact]
    public async Task FromNdjson_SchemaOverrides_ParseTimestampsClassesAndKeepJsonText()
    {
        var path = Write("over.ndjson",
            """
            {"t": "2024-05-01T12:00:00Z", "label": "dog", "any": "text"}
            {"t": "2024-05-02T00:00:00+02:00", "label": 0, "any": {"k": [1, 2]}}
            {"label": "cat", "any": 5}
            """);
        var schema = new Dictionary<string, ColumnSchema>
        {
            ["t"] = new DateTimeSchema { Nullable = true },
            ["label"] = new CategoricalLabelSchema(["cat", "dog"]),
            ["any"] = new StringSchema(),
            ["later"] = new Int32Schema { Nullable = true },
        };

        using var table = await Table.FromNdjsonAsync(path, Options(schema: schema));

        Assert.Equal(["t", "label", "any", "later", "weight"], table.Schema.Names);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), table.Rows[0]["t"]);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 22, 0, 0, TimeSpan.Zero), table.Rows[1]["t"]);
        Assert.Null(table.Rows[2]["t"]);
        Assert.Equal([1, 0, 0], table.Rows.Select(r => (int)r["label"]!));
        Assert.Equal(["text", """{"k": [1, 2]}""", "5"], table.Rows.Select(r => (string)r["any"]!));
        Assert.All(table.Rows, r => Assert.Null(r["later"]));
    }

    [Fact]
    public async Task FromNdjson_ManyLines_StreamsInBatches()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 25_000; i++)
        {
            text.Append("{\"i\": ").Append(i).Append(", \"s\": \"v").Append(i % 10).Append("\"}\n");
        }
        using var table = await Table.FromNdjsonAsync(Write("many.ndjson", text.ToString()), Options(inferenceLines: 100, batchRows: 4_000));

        Assert.Equal(25_000, table.RowCount);
        Assert.Equal(Enumerable.Repeat(4_000, 6).Append(1_000), table.Object.Chunks.SelectMany(c => c.Batches));
        Assert.Equal(25_000L * 24_999 / 2, table.Column("i").ArrowArrays().Sum());
        Assert.Equal("v3", table.Rows[24_993]["s"]);
    }

    [Fact]
    public async Task FromNdjson_LineLongerThanReadBuffer_ReadsWhole()
    {
        var longText = new string('x', 200_000);
        var path = Write("long.ndjson", $"{{\"s\": \"a\"}}\n{{\"s\": \"{longText}\"}}\n{{\"s\": \"b\"}}");

        using var table = await Table.FromNdjsonAsync(path, Options());

        Assert.Equal(["a", longText, "b"], table.Rows.Select(r => (string)r["s"]!));
    }

    [Fact]
    public async Task FromNdjson_Reuse_ReturnsExistingTableWithoutReadingInput()
    {
        var path = Write("reuse.ndjson", "{\"a\": 1}\n");
        using var first = await Table.FromNdjsonAsync(path, Options(ifExists: IfExists.Reuse));
        File.WriteAllText(path, "garbage\n");

        using var again = await Table.FromNdjsonAsync(path, Options(ifExists: IfExists.Reuse));

        Assert.Equal(first.Object.Id, again.Object.Id);
    }
}
