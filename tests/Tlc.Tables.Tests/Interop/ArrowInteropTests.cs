using System.Globalization;
using System.Text.Json;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Interop;

/// <summary>Chunk files written by Tlc are plain Arrow IPC files: the npm apache-arrow reader (JavaScript) reads the same values.</summary>
public sealed class ArrowInteropTests : IDisposable
{
    private const int Rows = 300;
    private readonly TempRoot _root = new("interop");

    public void Dispose() => _root.Dispose();

    private static string? Name(int i) => i % 4 == 0 ? null : $"name {i} ü,\"q\"";

    private static long Id(int i) => (i * 1_000_003L) - 150_000_000L + (i == 7 ? long.MaxValue / 2 : 0);

    private static float X(int i) => i switch { 0 => 0.1f, 1 => float.MaxValue, 2 => float.Epsilon, _ => i / 3f };

    private static float[] Vector(int i) => [.. Enumerable.Range(0, i % 5).Select(k => (k * 0.7f) - i)];

    private static BoundingBoxes2D Boxes(int i) => new(640 + i, 480, [.. Enumerable.Range(0, i % 3).Select(k => new BoundingBox2D(k + 0.5f, 2 * k, 10.25f * (k + 1), 100f / (i + 1), k))]);

    [Fact(Timeout = 120_000)]
    public async Task ChunkFile_ReadByApacheArrowJs_SameValues()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema
            {
                ["id"] = new Int64Schema(),
                ["x"] = new Float32Schema(),
                ["name"] = new StringSchema { Nullable = true },
                ["vec"] = new ListSchema(new Float32Schema()),
                ["bbs"] = BoundingBoxes2D.Schema(["a", "b", "c"]),
            },
            Project = "p", Dataset = "d", Table = "interop", Root = _root.Url, Settings = _root.Settings, BatchRows = 128,
        }, ct))
        {
            for (var i = 0; i < Rows; i++)
            {
                writer.AddRow(new Dictionary<string, object?> { ["id"] = Id(i), ["x"] = X(i), ["name"] = Name(i), ["vec"] = Vector(i), ["bbs"] = Boxes(i) });
            }
            using var written = await writer.FinalizeAsync(ct);
            var chunk = written.Url.Join(written.Object.Chunks.Single().Url).LocalPath;

            var script = Path.Combine(Fixtures.RepositoryRoot, "tests", "Tlc.Tables.Tests", "Interop", "read_arrow.mjs");
            var result = await Node.RunAsync(script, [chunk, Fixtures.NodeModules], TimeSpan.FromSeconds(60));

            Assert.True(result.ExitCode == 0, $"node failed ({result.ExitCode}): {result.Error}");
            using var json = JsonDocument.Parse(result.Output);
            var root = json.RootElement;
            Assert.Equal(Rows, root.GetProperty("numRows").GetInt32());
            Assert.Equal(["id", "x", "name", "vec", "bbs", "weight"], root.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
            var types = root.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("type").GetString()!);
            Assert.Equal("Int64", types["id"]);
            Assert.Equal("Float32", types["x"]);
            Assert.Equal("Utf8", types["name"]);
            Assert.Equal("List<Float32>", types["vec"]);
            Assert.StartsWith("Struct<{image_width:Float32, image_height:Float32, bb_list:List<Struct<{x0:Float32", types["bbs"], StringComparison.Ordinal);

            var columns = root.GetProperty("columns");
            var ids = columns.GetProperty("id").EnumerateArray().ToArray();
            var xs = columns.GetProperty("x").EnumerateArray().ToArray();
            var names = columns.GetProperty("name").EnumerateArray().ToArray();
            var vecs = columns.GetProperty("vec").EnumerateArray().ToArray();
            var bbs = columns.GetProperty("bbs").EnumerateArray().ToArray();
            var weights = columns.GetProperty("weight").EnumerateArray().ToArray();
            for (var i = 0; i < Rows; i++)
            {
                Assert.Equal(Id(i), long.Parse(ids[i].GetString()!, CultureInfo.InvariantCulture));
                Assert.Equal(X(i), (float)xs[i].GetDouble());
                Assert.Equal(Name(i), names[i].ValueKind == JsonValueKind.Null ? null : names[i].GetString());
                Assert.Equal(Vector(i), vecs[i].EnumerateArray().Select(v => (float)v.GetDouble()));
                Assert.Equal(1f, (float)weights[i].GetDouble());

                var expected = Boxes(i);
                Assert.Equal(expected.ImageWidth, (float)bbs[i].GetProperty("image_width").GetDouble());
                Assert.Equal(expected.ImageHeight, (float)bbs[i].GetProperty("image_height").GetDouble());
                var boxes = bbs[i].GetProperty("bb_list").EnumerateArray().ToArray();
                Assert.Equal(expected.Boxes.Count, boxes.Length);
                for (var k = 0; k < boxes.Length; k++)
                {
                    var b = expected.Boxes[k];
                    Assert.Equal(
                        (b.X0, b.Y0, b.X1, b.Y1, b.Label),
                        ((float)boxes[k].GetProperty("x0").GetDouble(), (float)boxes[k].GetProperty("y0").GetDouble(),
                         (float)boxes[k].GetProperty("x1").GetDouble(), (float)boxes[k].GetProperty("y1").GetDouble(), boxes[k].GetProperty("label").GetInt32()));
                }
            }
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task TableOfSeveralChunks_ReadThroughItsObjectFileByApacheArrowJs_SameRowsInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        const int rows = 2_500;
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema
            {
                ["id"] = new Int64Schema(),
                ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]),
                ["name"] = new StringSchema(),
            },
            Project = "p", Dataset = "d", Table = "chunked", Root = _root.Url, Settings = _root.Settings, BatchRows = 256, ChunkRows = 1_024,
        }, ct);
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = Id(i), ["label"] = i % 3, ["name"] = $"row {i}" });
        }
        using var table = await writer.FinalizeAsync(ct);
        Assert.Equal(3, table.Object.Chunks.Count);

        var script = Path.Combine(Fixtures.RepositoryRoot, "tests", "Tlc.Tables.Tests", "Interop", "read_table.mjs");
        var result = await Node.RunAsync(script, [table.Url.LocalPath, Fixtures.NodeModules], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, $"node failed ({result.ExitCode}): {result.Error}");
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        Assert.Equal(rows, root.GetProperty("rowCount").GetInt32());
        Assert.Equal(rows, root.GetProperty("numRows").GetInt32());
        Assert.Equal(3, root.GetProperty("chunks").GetInt32());
        Assert.Equal(table.Object.Chunks.SelectMany(c => c.Batches).Select(b => (long)b), root.GetProperty("batches").EnumerateArray().Select(b => b.GetInt64()));
        var fields = root.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("tlcType").GetString());
        Assert.Equal(["id", "label", "name", "weight"], fields.Keys);
        Assert.Equal("categorical_label", fields["label"]);
        var columns = root.GetProperty("columns");
        var ids = columns.GetProperty("id").EnumerateArray().Select(v => long.Parse(v.GetString()!, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Enumerable.Range(0, rows).Select(Id), ids);
        var labels = columns.GetProperty("label").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var names = columns.GetProperty("name").EnumerateArray().Select(v => v.GetString()).ToArray();
        foreach (var i in new[] { 0, 255, 256, 1_023, 1_024, 2_047, 2_048, rows - 1 })
        {
            Assert.Equal((i % 3, $"row {i}"), (labels[i], names[i]));
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task DenseEditChunk_ReadByApacheArrowJs_OneValuePerRowInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        const int rows = 2_000;
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["id"] = new Int64Schema(), ["bbs"] = BoundingBoxes2D.Schema(["a", "b", "c"]) },
            Project = "p", Dataset = "d", Table = "edited", Root = _root.Url, Settings = _root.Settings, BatchRows = 512,
        }, ct);
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = (long)i, ["bbs"] = new BoundingBoxes2D(1, 1, []) });
        }
        using var table = await writer.FinalizeAsync(ct);
        static float[] Point(long i) => [(i * 0.25f) - 7, X((int)(i % 300))];
        var all = Enumerable.Range(0, rows).Select(i => (long)i).ToArray();
        var editor = table.Edit()
            .AddColumn("xy", new EmbeddingSchema(2))
            .SetEach("xy", all, all.Select(i => (object?)Point(i)).ToArray())
            .SetEach("bbs", all, all.Select(i => (object?)Boxes((int)(i % 300))).ToArray());
        editor.DenseBatchRows = 700;
        using var revision = await editor.CommitAsync(ct);
        var script = Path.Combine(Fixtures.RepositoryRoot, "tests", "Tlc.Tables.Tests", "Interop", "read_arrow.mjs");

        var xy = revision.Object.Edits!["xy"].Chunk!;
        Assert.Equal([700, 700, 600], xy.Batches);
        var result = await Node.RunAsync(script, [revision.Url.Join(xy.Url).LocalPath, Fixtures.NodeModules], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"node failed ({result.ExitCode}): {result.Error}");
        using (var json = JsonDocument.Parse(result.Output))
        {
            var root = json.RootElement;
            Assert.Equal(rows, root.GetProperty("numRows").GetInt32());
            var field = Assert.Single(root.GetProperty("fields").EnumerateArray());
            Assert.Equal("xy", field.GetProperty("name").GetString());
            Assert.Equal("FixedSizeList[2]<Float32>", field.GetProperty("type").GetString());
            var values = root.GetProperty("columns").GetProperty("xy").EnumerateArray().ToArray();
            for (var i = 0; i < rows; i++)
            {
                Assert.Equal(Point(i), values[i].EnumerateArray().Select(v => (float)v.GetDouble()));
            }
        }

        var bbs = revision.Object.Edits["bbs"].Chunk!;
        result = await Node.RunAsync(script, [revision.Url.Join(bbs.Url).LocalPath, Fixtures.NodeModules], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"node failed ({result.ExitCode}): {result.Error}");
        using (var json = JsonDocument.Parse(result.Output))
        {
            var root = json.RootElement;
            Assert.Equal(rows, root.GetProperty("numRows").GetInt32());
            var field = Assert.Single(root.GetProperty("fields").EnumerateArray());
            Assert.Equal("bbs", field.GetProperty("name").GetString());
            Assert.StartsWith("Struct<{image_width:Float32, image_height:Float32, bb_list:List<Struct<{x0:Float32", field.GetProperty("type").GetString(), StringComparison.Ordinal);
            var values = root.GetProperty("columns").GetProperty("bbs").EnumerateArray().ToArray();
            foreach (var i in new[] { 0, 1, 2, 699, 700, 1_234, rows - 1 })
            {
                var expected = Boxes(i % 300);
                var boxes = values[i].GetProperty("bb_list").EnumerateArray().ToArray();
                Assert.Equal(expected.ImageWidth, (float)values[i].GetProperty("image_width").GetDouble());
                Assert.Equal(expected.Boxes.Count, boxes.Length);
                for (var k = 0; k < boxes.Length; k++)
                {
                    Assert.Equal((expected.Boxes[k].X1, expected.Boxes[k].Label), ((float)boxes[k].GetProperty("x1").GetDouble(), boxes[k].GetProperty("label").GetInt32()));
                }
            }
        }
    }
}
