using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

public sealed class TableWriterTests : IDisposable
{
    private readonly TempRoot _root = new("writer");

    public void Dispose() => _root.Dispose();

    private TableWriterOptions Options(TableSchema schema, string table = "t", IfExists ifExists = IfExists.Raise, int? batchRows = null, int? chunkRows = null) => new()
    {
        Schema = schema,
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = _root.Url,
        IfExists = ifExists,
        Settings = _root.Settings,
        BatchRows = batchRows,
        ChunkRows = chunkRows,
    };

    private static TableSchema Schema() => new()
    {
        ["id"] = new Int64Schema(),
        ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]),
        ["score"] = new ConfidenceSchema(),
        ["name"] = new StringSchema { Nullable = true },
    };

    [Fact]
    public async Task Finalize_ManyRows_RoundTripsValuesAcrossChunksAndBatches()
    {
        await using var writer = await TableWriter.CreateAsync(Options(Schema(), batchRows: 100, chunkRows: 300));
        for (var i = 0; i < 1000; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = (long)i, ["label"] = i % 3, ["score"] = i / 1000f, ["name"] = i % 7 == 0 ? null : $"n{i}" });
        }
        using var table = await writer.FinalizeAsync();

        Assert.Equal(1000, table.RowCount);
        Assert.Equal(4, table.Object.Chunks.Count);
        Assert.Equal(["id", "label", "score", "name", "weight"], table.Schema.Names);
        foreach (var i in new[] { 0, 99, 100, 299, 300, 577, 999 })
        {
            var row = table.Rows[i];
            Assert.Equal((long)i, row["id"]);
            Assert.Equal(i % 3, row["label"]);
            Assert.Equal(i / 1000f, row["score"]);
            Assert.Equal(i % 7 == 0 ? null : $"n{i}", row["name"]);
            Assert.Equal(1.0f, row["weight"]);
        }
        Assert.Equal(Enumerable.Range(0, 1000).Sum(i => (long)i), table.Column("id").ArrowArrays().Sum());
    }

    [Fact]
    public async Task Finalize_WrittenObject_ReopensWithSameSchemaClasses()
    {
        var schema = new TableSchema
        {
            ["image"] = new ImageSchema(ImageSampleType.Url),
            ["label"] = new CategoricalLabelSchema(["a", "b"]),
            ["labels"] = new CategoricalLabelListSchema(["a", "b"]),
            ["emb"] = new EmbeddingSchema(3),
            ["bbs"] = BoundingBoxes2D.Schema(["a", "b"], BoxFormat.Xywh),
        };
        await using var writer = await TableWriter.CreateAsync(Options(schema));
        writer.AddRow(new Dictionary<string, object?>
        {
            ["image"] = "file:///x/a.png",
            ["label"] = 1,
            ["labels"] = new[] { 0, 1 },
            ["emb"] = new[] { 1f, 2f, 3f },
            ["bbs"] = new BoundingBoxes2D(10, 20, [new BoundingBox2D(1, 2, 3, 4, 1)]),
        });
        var written = await writer.FinalizeAsync();
        using var table = await Table.OpenAsync(written.Url);

        Assert.IsType<ImageSchema>(table.Schema["image"]);
        Assert.IsType<CategoricalLabelSchema>(table.Schema["label"]);
        Assert.IsType<CategoricalLabelListSchema>(table.Schema["labels"]);
        Assert.IsType<EmbeddingSchema>(table.Schema["emb"]);
        Assert.IsType<AnnotationSchema>(table.Schema["bbs"]);
        Assert.IsType<SampleWeightSchema>(table.Schema["weight"]);
        Assert.True(schema["bbs"].IsEquivalentTo(table.Schema["bbs"]));
        var sample = table[0];
        Assert.Equal("file:///x/a.png", sample["image"]);
        var boxes = Assert.IsType<BoundingBoxes2D>(sample["bbs"]);
        Assert.Equal(new BoundingBox2D(1, 2, 3, 4, 1), boxes.Boxes[0]);
        Assert.Equal([1f, 2f, 3f], (float[])table.Rows[0]["emb"]!);
        Assert.Equal([0, 1], (int[])table.Rows[0]["labels"]!);
    }

    [Fact]
    public async Task AddRow_WrongType_NamesRowColumnAndExpectedType()
    {
        await using var writer = await TableWriter.CreateAsync(Options(Schema()));
        writer.AddRow(new Dictionary<string, object?> { ["id"] = 1L, ["label"] = 0, ["score"] = 0.5f });
        var e = Assert.Throws<RowValidationException>(() =>
            writer.AddRow(new Dictionary<string, object?> { ["id"] = "seven", ["label"] = 0, ["score"] = 0.5f }, "input.csv:3"));

        Assert.Equal(1, e.Row);
        Assert.Equal("id", e.Column);
        Assert.Contains("expected int64", e.Message, StringComparison.Ordinal);
        Assert.Contains("input.csv:3", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.FinalizeAsync());
        Assert.False(File.Exists(Path.Combine(_root.Path, "projects/p/datasets/d/tables/t", TableObject.FileName)));
    }

    [Theory]
    [InlineData("label", 5, "not in the value map")]
    [InlineData("label", "fish", "not a class")]
    [InlineData("score", 1.5f, "outside [0, 1]")]
    [InlineData("nope", 1, "no such column")]
    public async Task AddRow_InvalidValue_ClearError(string column, object value, string expected)
    {
        await using var writer = await TableWriter.CreateAsync(Options(Schema()));
        var row = new Dictionary<string, object?> { ["id"] = 1L, ["label"] = 0, ["score"] = 0.5f, [column] = value };
        var e = Assert.Throws<RowValidationException>(() => writer.AddRow(row));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(column, e.Column);
    }

    [Fact]
    public async Task AddRow_MissingRequiredValue_IsAnError()
    {
        await using var writer = await TableWriter.CreateAsync(Options(Schema()));
        var e = Assert.Throws<RowValidationException>(() => writer.AddRow(new Dictionary<string, object?> { ["id"] = 1L, ["score"] = 0.5f }));
        Assert.Equal("label", e.Column);
        Assert.Contains("missing value", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_WithoutFinalize_LeavesNoFiles()
    {
        await using (var writer = await TableWriter.CreateAsync(Options(Schema(), batchRows: 10, chunkRows: 10)))
        {
            for (var i = 0; i < 35; i++)
            {
                writer.AddRow(new Dictionary<string, object?> { ["id"] = (long)i, ["label"] = 0, ["score"] = 0f });
            }
        }
        var folder = Path.Combine(_root.Path, "projects/p/datasets/d/tables/t");
        Assert.Empty(Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task IfExists_EachPolicy_BehavesAsDocumented()
    {
        async Task<Table> Write(IfExists policy, long id)
        {
            await using var writer = await TableWriter.CreateAsync(Options(Schema(), "same", policy));
            writer.AddRow(new Dictionary<string, object?> { ["id"] = id, ["label"] = 0, ["score"] = 0f });
            return await writer.FinalizeAsync();
        }

        var first = await Write(IfExists.Raise, 1);
        await Assert.ThrowsAsync<TableExistsException>(() => Write(IfExists.Raise, 2));
        var reused = await Write(IfExists.Reuse, 3);
        Assert.Equal(first.Url, reused.Url);
        Assert.Equal(1L, reused.Rows[0]["id"]);
        var renamed = await Write(IfExists.Rename, 4);
        Assert.Equal("same_0001", renamed.Url.Name);
        var renamedAgain = await Write(IfExists.Rename, 5);
        Assert.Equal("same_0002", renamedAgain.Url.Name);
        var overwritten = await Write(IfExists.Overwrite, 6);
        Assert.Equal(first.Url, overwritten.Url);
        Assert.Equal(6L, (await Table.OpenAsync(first.Url)).Rows[0]["id"]);
        // A reader that opened the old object keeps reading the old rows.
        Assert.Equal(1L, first.Rows[0]["id"]);
    }
}

internal static class ChunkedArrayExtensions
{
    public static long Sum(this IEnumerable<Apache.Arrow.IArrowArray> arrays) =>
        arrays.Cast<Apache.Arrow.Int64Array>().Sum(a => a.Values.ToArray().Sum());

    public static IEnumerable<Apache.Arrow.IArrowArray> ArrowArrays(this Apache.Arrow.ChunkedArray chunked) =>
        Enumerable.Range(0, chunked.ArrayCount).Select(chunked.ArrowArray);
}

public sealed class AnnotationWriteTests : IDisposable
{
    private readonly TempRoot _root = new("annotations");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task AddRow_BoxWithoutOptionalCrowdFlag_TakesFieldDefault()
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["bbs"] = BoundingBoxes2D.Schema(["a"], includeIsCrowd: true) },
            Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings,
        });
        writer.AddRow(new Dictionary<string, object?> { ["bbs"] = new BoundingBoxes2D(10, 10, [new BoundingBox2D(1, 1, 2, 2, 0), new BoundingBox2D(1, 1, 2, 2, 0) { IsCrowd = true }]) });
        var table = await writer.FinalizeAsync();
        var boxes = (BoundingBoxes2D)table[0]["bbs"]!;
        Assert.Equal([false, true], boxes.Boxes.Select(b => b.IsCrowd));
    }

    [Fact]
    public async Task AddRow_NestedFieldWrongType_NamesFieldPath()
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["bbs"] = BoundingBoxes2D.Schema(["a"]) },
            Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings,
        });
        var bad = new Dictionary<string, object?>
        {
            ["image_width"] = 10f, ["image_height"] = 10f,
            ["bb_list"] = new List<object?> { new Dictionary<string, object?> { ["x0"] = 1f, ["y0"] = "oops", ["x1"] = 2f, ["y1"] = 2f, ["label"] = 0 } },
        };
        var e = Assert.Throws<RowValidationException>(() => writer.AddRow(new Dictionary<string, object?> { ["bbs"] = bad }));
        Assert.Equal("bbs.bb_list[].y0", e.Column);
        Assert.Contains("expected float32", e.Message, StringComparison.Ordinal);
    }
}
