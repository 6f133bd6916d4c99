using System.Collections;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class DictImportTests : IDisposable
{
    private readonly TempRoot _root = new("dict");

    public void Dispose() => _root.Dispose();

    private ImportOptions Options(string table = "t", IReadOnlyDictionary<string, ColumnSchema>? schema = null, IfExists ifExists = IfExists.Raise) => new()
    {
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = _root.Url,
        Settings = _root.Settings,
        IfExists = ifExists,
        Schema = schema,
    };

    [Fact]
    public async Task FromDict_PlainValues_InfersSchemasAndRoundTrips()
    {
        var columns = new Dictionary<string, IEnumerable>
        {
            ["id"] = new[] { 1L, 2L, 3L },
            ["count"] = new List<int> { 4, 5, 6 },
            ["mixed"] = new object[] { 1, 2.5, 3 },
            ["f"] = new[] { 0.5f, 1f, 1.5f },
            ["ok"] = new[] { true, false, true },
            ["name"] = new[] { "a", null, "c" },
            ["emb"] = new[] { new[] { 1f, 2f }, new[] { 3f, 4f }, new[] { 5f, 6f } },
            ["ragged"] = new[] { new[] { 1f }, new[] { 2f, 3f }, Array.Empty<float>() },
            ["when"] = new[] { DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(1), DateTimeOffset.UnixEpoch.AddDays(2) },
        };

        using var table = await Table.FromDictAsync(columns, Options());

        Assert.Equal(3, table.RowCount);
        Assert.IsType<Int64Schema>(table.Schema["id"]);
        Assert.IsType<Int64Schema>(table.Schema["count"]);
        Assert.IsType<Float64Schema>(table.Schema["mixed"]);
        Assert.IsType<Float32Schema>(table.Schema["f"]);
        Assert.IsType<BoolSchema>(table.Schema["ok"]);
        Assert.IsType<StringSchema>(table.Schema["name"]);
        Assert.True(table.Schema["name"].Nullable);
        Assert.False(table.Schema["id"].Nullable);
        Assert.Equal(2, Assert.IsType<EmbeddingSchema>(table.Schema["emb"]).Dimensions);
        Assert.IsNotType<EmbeddingSchema>(table.Schema["ragged"]);
        Assert.IsType<DateTimeSchema>(table.Schema["when"]);

        Assert.Equal([4L, 5L, 6L], table.Rows.Select(r => (long)r["count"]!));
        Assert.Equal([1.0, 2.5, 3.0], table.Rows.Select(r => (double)r["mixed"]!));
        Assert.Equal(["a", null, "c"], table.Rows.Select(r => (string?)r["name"]));
        Assert.Equal([3f, 4f], (float[])table.Rows[1]["emb"]!);
        Assert.Equal([2f, 3f], (float[])table.Rows[1]["ragged"]!);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddDays(2), table.Rows[2]["when"]);
        Assert.Equal("dict", (string?)table.Object.Source!["format"]);
    }

    [Fact]
    public async Task FromDict_AnnotationsWithDeclaredSchema_DecodeToAnnotationTypes()
    {
        var boxes = new[]
        {
            new BoundingBoxes2D(100, 50, [new BoundingBox2D(1, 2, 3, 4, 1)]),
            new BoundingBoxes2D(100, 50, []),
        };
        var columns = new Dictionary<string, IEnumerable> { ["bbs"] = boxes, ["label"] = new[] { "dog", "cat" } };
        var schema = new Dictionary<string, ColumnSchema>
        {
            ["bbs"] = BoundingBoxes2D.Schema(["cat", "dog"]),
            ["label"] = new CategoricalLabelSchema(["cat", "dog"]),
        };

        using var table = await Table.FromDictAsync(columns, Options(schema: schema));

        var first = Assert.IsType<BoundingBoxes2D>(table[0]["bbs"]);
        Assert.Equal(new BoundingBox2D(1, 2, 3, 4, 1), first.Boxes[0]);
        Assert.Empty(Assert.IsType<BoundingBoxes2D>(table[1]["bbs"]).Boxes);
        Assert.Equal([1, 0], table.Rows.Select(r => (int)r["label"]!));
    }

    [Fact]
    public async Task FromDict_AnnotationsWithoutSchema_AskForOne()
    {
        var columns = new Dictionary<string, IEnumerable> { ["bbs"] = new[] { new BoundingBoxes2D(1, 1, []) } };

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromDictAsync(columns, Options()));

        Assert.Contains("row 0, column 'bbs'", e.Message, StringComparison.Ordinal);
        Assert.Contains("need a declared schema", e.Message, StringComparison.Ordinal);
        ImportTestSupport.AssertNothingPublished(_root, "t");
    }

    [Fact]
    public async Task FromDict_MixedTypes_NameRowAndColumn()
    {
        var columns = new Dictionary<string, IEnumerable> { ["v"] = new object[] { 1, "two" } };

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromDictAsync(columns, Options()));

        Assert.Contains("dict:row 1, column 'v': String here, but Int32 in row 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromDict_Reuse_ReturnsExistingTable()
    {
        using var first = await Table.FromDictAsync(new Dictionary<string, IEnumerable> { ["a"] = new[] { 1 } }, Options(ifExists: IfExists.Reuse));
        using var again = await Table.FromDictAsync(new Dictionary<string, IEnumerable> { ["a"] = new[] { 1, 2 } }, Options(ifExists: IfExists.Reuse));

        Assert.Equal(first.Object.Id, again.Object.Id);
        Assert.Equal(1, again.RowCount);
    }
}
