using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Export;
using Tlc.Tables.Revisions;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

/// <summary>
/// A column set on every row (reduced embeddings, per-row predictions) is stored as a dense Arrow chunk beside the object
/// file; sparse edits stay runs. Every test writes real files under a temporary root.
/// </summary>
public sealed class DenseEditTests : IDisposable
{
    private const int Rows = 10_000;
    private readonly TempRoot _root = new("dense");

    public void Dispose() => _root.Dispose();

    private async Task<Table> WriteAsync(int rows = Rows, string name = "base")
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema
            {
                ["id"] = new Int64Schema(),
                ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]),
                ["vec"] = new ListSchema(new Float32Schema()),
                ["bbs"] = BoundingBoxes2D.Schema(["a", "b"]),
            },
            Project = "p", Dataset = "d", Table = name, Root = _root.Url, Settings = _root.Settings, BatchRows = 4_096,
        });
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?>
            {
                ["id"] = (long)i, ["label"] = i % 3, ["vec"] = new[] { (float)i }, ["bbs"] = new BoundingBoxes2D(100, 100, []),
            });
        }
        return await writer.FinalizeAsync();
    }

    /// <summary>Seeded 2-D points, one per row, like a PCA of embeddings.</summary>
    private static float[][] Points(int rows, int seed = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ => new[] { (random.NextSingle() * 20) - 10, (random.NextSingle() * 20) - 10 }).ToArray();
    }

    private static long[] AllRows(long rows) => Enumerable.Range(0, checked((int)rows)).Select(i => (long)i).ToArray();

    private static TableEditor AddPoints(Table table, string column, float[][] points) => table.Edit()
        .AddColumn(column, new EmbeddingSchema(2))
        .SetEach(column, AllRows(table.RowCount), points.Select(p => (object?)p).ToArray());

    private static string ObjectFile(Table table) => Path.Combine(table.Url.LocalPath, TableObject.FileName);

    private static string ChunkPath(Table table, string column) => Path.Combine(table.Url.LocalPath, table.Object.Edits![column].Chunk!.Url);

    /// <summary>
    /// Rewrites <paramref name="revision"/>'s object file beside it, as <paramref name="name"/>, with every dense chunk
    /// replaced by the <c>runs_and_values</c> the format stored before dense chunks (format version 1).
    /// </summary>
    private async Task<Table> AsJsonRunsAsync(Table revision, string name)
    {
        var obj = ObjectFiles.Deserialize(await File.ReadAllBytesAsync(ObjectFile(revision)), revision.Url.Value);
        var edits = obj.Edits!;
        foreach (var (column, info) in edits.Where(e => e.Value.Chunk is not null).ToList())
        {
            var schema = revision.Schema[column];
            var values = ReadChunkValues(Path.Combine(revision.Url.LocalPath, info.Chunk!.Url));
            var runs = ColumnEdits.Build(column, schema, values.Select((v, i) => ((long)i, (long)i, v)), values.Count).ToRunsAndValues();
            edits[column] = new ColumnEditsInfo { RunsAndValues = runs };
        }
        obj.FormatVersion = TableObject.BaseFormatVersion;
        obj.Id = Guid.NewGuid().ToString("N")[..16];
        obj.Name = name;
        var folder = Path.Combine(revision.Url.Parent.LocalPath, name);
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, TableObject.FileName), ObjectFiles.Serialize(obj));
        return await Table.OpenAsync(Url.FromLocalPath(folder));
    }

    /// <summary>Every value of a dense chunk, read with Apache.Arrow's own file reader (no Tlc reading code).</summary>
    private static List<object?> ReadChunkValues(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        var values = new List<object?>();
        RecordBatch? batch;
        while ((batch = reader.ReadNextRecordBatch()) is not null)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                values.Add(ArrowValues.GetValue(batch.Column(0), i));
            }
        }
        return values;
    }

    /// <summary>The floats of a fixed-size list column, read by a scan (record batches in order).</summary>
    private static float[] ScannedFloats(Table table, string column) => table.ScanBatches()
        .SelectMany(b =>
        {
            var list = (FixedSizeListArray)b.Column(b.Schema.GetFieldIndex(column));
            return ((FloatArray)list.Values).Values.Slice(list.Offset * 2, list.Length * 2).ToArray();
        })
        .ToArray();

    [Fact]
    public async Task SetEach_EveryRowOf10000TwoDPoints_ObjectFileSmallAndValuesReadBackExactly()
    {
        using var table = await WriteAsync();
        var points = Points(Rows);

        using var revision = await AddPoints(table, "xy", points).CommitAsync();

        var objectBytes = new FileInfo(ObjectFile(revision)).Length;
        Assert.True(objectBytes < 8 * 1024, $"the object file of a 10,000-row 2-D edit is {objectBytes} bytes");
        var edit = revision.Object.Edits!["xy"];
        Assert.Null(edit.RunsAndValues);
        Assert.Null(edit.Sidecar);
        Assert.Equal(Rows, edit.Chunk!.Rows);
        Assert.Equal([Rows], edit.Chunk.Batches);
        Assert.Equal(new FileInfo(ChunkPath(revision, "xy")).Length, edit.Chunk.Bytes);
        Assert.Matches("^column-[0-9a-f]{16}-000\\.arrow$", edit.Chunk.Url);
        Assert.Equal(TableObject.DenseEditsFormatVersion, revision.Object.FormatVersion);

        using var reopened = await Table.OpenAsync(revision.Url);
        for (var i = 0; i < Rows; i++)
        {
            Assert.Equal(points[i], (float[])reopened.GetValue("xy", i)!);
        }
        Assert.Equal(points.SelectMany(p => p), ScannedFloats(reopened, "xy"));
        Assert.Equal(9_999L, (long)reopened.Rows[9_999]["id"]!);
    }

    [Fact]
    public async Task SetValues_SparseRows_StayJsonRunsInAVersion1ObjectFile()
    {
        using var table = await WriteAsync(1_000);

        using var revision = await table.Edit()
            .SetValues("label", [3, 4, 5, 50], 2)
            .AddColumn("score", new Float32Schema(), 0.5f)
            .CommitAsync();

        Assert.Equal("[[3,-5,50],2]", revision.Object.Edits!["label"].RunsAndValues!.ToJsonString());
        // A column added with one value covers every row but is one run: tiny, so it stays inline.
        Assert.Equal("[[0,-999],0.5]", revision.Object.Edits["score"].RunsAndValues!.ToJsonString());
        Assert.All(revision.Object.Edits.Values, e => Assert.Null(e.Chunk));
        Assert.Equal(TableObject.BaseFormatVersion, revision.Object.FormatVersion);
        Assert.Contains("\"format_version\": 1", await File.ReadAllTextAsync(ObjectFile(revision)), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(revision.Url.LocalPath, "*.arrow"));
        Assert.Equal(0.5f, revision.GetValue("score", 999));
    }

    [Fact]
    public async Task SetEach_EveryRowOfASmallTable_StaysInlineWhileItsRunsAreSmall()
    {
        using var table = await WriteAsync(20);

        using var revision = await AddPoints(table, "xy", Points(20)).CommitAsync();

        Assert.NotNull(revision.Object.Edits!["xy"].RunsAndValues);
        Assert.Null(revision.Object.Edits["xy"].Chunk);
        Assert.True(revision.Object.Edits["xy"].RunsAndValues!.ToJsonString().Length <= DerivedTables.InlineDenseBytes);
    }

    [Fact]
    public async Task SetEach_NullableColumnWithNullRows_DenseChunkKeepsTheNulls()
    {
        using var table = await WriteAsync(1_000);
        var points = Points(1_000, seed: 11);
        var rows = AllRows(1_000);

        using var revision = await table.Edit()
            .AddColumn("xy", new EmbeddingSchema(2) { Nullable = true })
            .SetEach("xy", rows, rows.Select(r => r % 7 == 3 ? null : (object?)points[r]).ToArray())
            .CommitAsync();

        Assert.NotNull(revision.Object.Edits!["xy"].Chunk);
        Assert.Equal(143, ReadChunkValues(ChunkPath(revision, "xy")).Count(v => v is null));
        using var reopened = await Table.OpenAsync(revision.Url);
        foreach (var row in new long[] { 0, 3, 10, 17, 999 })
        {
            Assert.Equal(row % 7 == 3 ? null : points[row], (float[]?)reopened.GetValue("xy", row));
        }
        using var runs = await AsJsonRunsAsync(revision, "base.r0001-runs");
        Assert.Equal(runs.ContentHash(), reopened.ContentHash());
    }

    [Fact]
    public void RunsAndValuesWithin_BoundAroundTheExactLength_InlineOnlyUpToIt()
    {
        var schema = new EmbeddingSchema(2);
        var edits = ColumnEdits.Build("xy", schema, Points(50, seed: 12).Select((p, i) => ((long)i, (long)i, (object?)p)), 50);
        var exact = System.Text.Encoding.UTF8.GetByteCount(edits.ToRunsAndValues().ToJsonString());

        Assert.Equal(edits.ToRunsAndValues().ToJsonString(), edits.RunsAndValuesWithin(exact)!.ToJsonString());
        Assert.Null(edits.RunsAndValuesWithin(exact - 1));
        Assert.Null(edits.RunsAndValuesWithin(10));
        var repeated = ColumnEdits.Build("xy", schema, Enumerable.Range(0, 50).Select(i => ((long)i, (long)i, (object?)new[] { 1f, 2f })), 50);
        var repeatedExact = System.Text.Encoding.UTF8.GetByteCount(repeated.ToRunsAndValues().ToJsonString());
        Assert.NotNull(repeated.RunsAndValuesWithin(repeatedExact));
        Assert.Null(repeated.RunsAndValuesWithin(repeatedExact - 1));
    }

    [Fact]
    public async Task Commit_DenseAndSparseEditsWithDeletedRows_EachStoredItsWayAndRowsMapAlongLineage()
    {
        using var table = await WriteAsync();
        var points = Points(Rows, seed: 2);

        using var revision = await AddPoints(table, "xy", points)
            .SetValues("label", [10, 11, 12, 9_000], 1)
            .DeleteRows([0, 5, 9_999])
            .CommitAsync();

        Assert.NotNull(revision.Object.Edits!["xy"].Chunk);
        Assert.Equal("[[10,-12,9000],1]", revision.Object.Edits["label"].RunsAndValues!.ToJsonString());
        Assert.Equal("[[0,5,9999],true]", revision.Object.Edits[DerivedTables.DeleteColumn].RunsAndValues!.ToJsonString());
        Assert.Equal(Rows - 3, revision.RowCount);
        // The chunk holds one value per parent row (deleted rows included); row i of the revision shows parent row MapRowToParent(i).
        Assert.Equal(Rows, revision.Object.Edits["xy"].Chunk!.Rows);
        Assert.Equal(6, revision.MapRowToParent(4));
        Assert.Equal(4, revision.MapRowFromParent(6));
        Assert.Equal(-1, revision.MapRowFromParent(5));
        foreach (var row in new long[] { 0, 3, 4, 9, 10, 8_997, Rows - 4 })
        {
            var parent = revision.MapRowToParent(row);
            Assert.Equal(points[parent], (float[])revision.GetValue("xy", row)!);
            Assert.Equal(parent, (long)revision.Rows[row]["id"]!);
        }
        Assert.Equal(1, revision.GetValue("label", revision.MapRowFromParent(9_000)));
        Assert.Equal(9_001 % 3, revision.GetValue("label", revision.MapRowFromParent(9_001)));
        Assert.Equal(Enumerable.Range(0, Rows).Where(i => i is not (0 or 5 or 9_999)).SelectMany(i => points[i]), ScannedFloats(revision, "xy"));
    }

    [Fact]
    public async Task DenseEdit_OnARevisionOfARevision_ReadsEachThroughItsParent()
    {
        using var table = await WriteAsync();
        var first = Points(Rows, seed: 3);
        var second = Points(Rows - 1, seed: 4);
        using var r1 = await AddPoints(table, "xy", first).DeleteRows([100]).CommitAsync();
        Assert.Equal(Rows - 1, r1.RowCount);

        // r2 sets xy on every row of r1 (its parent: 9,999 rows) and a few single values of another column.
        using var r2 = await r1.Edit()
            .SetEach("xy", AllRows(r1.RowCount), second.Select(p => (object?)p).ToArray())
            .SetValue("label", 200, 0)
            .CommitAsync();
        // r3 changes a few points only: runs over r2, which reads through its chunk.
        using var r3 = await r2.Edit().SetValue("xy", 7, new[] { 1f, 2f }).CommitAsync();

        Assert.NotNull(r2.Object.Edits!["xy"].Chunk);
        Assert.Equal(Rows - 1, r2.Object.Edits["xy"].Chunk!.Rows);
        Assert.NotNull(r3.Object.Edits!["xy"].RunsAndValues);
        Assert.Equal(first[101], (float[])r1.GetValue("xy", 100)!);
        Assert.Equal(second[100], (float[])r2.GetValue("xy", 100)!);
        Assert.Equal(101L, r2.GetValue("id", 100));
        Assert.Equal([1f, 2f], (float[])r3.GetValue("xy", 7)!);
        Assert.Equal(second[8], (float[])r3.GetValue("xy", 8)!);
        Assert.Equal(0, r3.GetValue("label", 200));
        using var latest = await Table.LatestAsync(table.Url);
        Assert.Equal(r3.Url, latest.Url);
        Assert.Equal(second[Rows - 2], (float[])latest.GetValue("xy", Rows - 2)!);
        // The content is the same whatever form the edits are stored in.
        using var r2Runs = await AsJsonRunsAsync(r2, "base.r0002-runs");
        Assert.Equal(r2Runs.ContentHash(), r2.ContentHash());
    }

    [Fact]
    public async Task ContentHashAndExport_DenseChunk_EqualTheSameRevisionStoredAsJsonRuns()
    {
        using var table = await WriteAsync();
        using var revision = await AddPoints(table, "xy", Points(Rows, seed: 5)).SetValues("label", [1, 2], 0).DeleteRows([3]).CommitAsync();

        using var runs = await AsJsonRunsAsync(revision, "base.r0001-runs");

        Assert.Null(runs.Object.Edits!["xy"].Chunk);
        Assert.Equal(TableObject.BaseFormatVersion, runs.Object.FormatVersion);
        Assert.True(new FileInfo(ObjectFile(runs)).Length > 20 * new FileInfo(ObjectFile(revision)).Length);
        Assert.Equal(runs.ContentHash(), revision.ContentHash());
        Assert.NotEqual(table.ContentHash(), revision.ContentHash());
        foreach (var row in new long[] { 0, 2, 3, 4_000, Rows - 2 })
        {
            Assert.Equal((float[])runs.GetValue("xy", row)!, (float[])revision.GetValue("xy", row)!);
        }
        var dense = _root.File("export/dense.jsonl");
        var asRuns = _root.File("export/runs.jsonl");
        var options = new JsonExportOptions { Columns = ["id", "label", "xy"] };
        await revision.ExportJsonAsync(dense, options);
        await runs.ExportJsonAsync(asRuns, options);
        Assert.Equal(Rows - 1, File.ReadLines(dense).Count());
        Assert.Equal(await File.ReadAllTextAsync(asRuns), await File.ReadAllTextAsync(dense));
    }

    [Fact]
    public async Task Squash_DenseRevision_EqualsTheRevisionAndItsJsonRunsForm()
    {
        using var table = await WriteAsync();
        var points = Points(Rows, seed: 6);
        using var revision = await AddPoints(table, "xy", points).DeleteRows([0, 1]).CommitAsync();

        using var squashed = await revision.SquashAsync(new DerivedTableOptions { Name = "flat" });
        using var runs = await AsJsonRunsAsync(revision, "base.r0001-runs");
        using var squashedRuns = await runs.SquashAsync(new DerivedTableOptions { Name = "flat-runs" });

        Assert.Equal(revision.ContentHash(), squashed.ContentHash());
        Assert.Equal(squashed.ContentHash(), squashedRuns.ContentHash());
        Assert.Equal(Rows - 2, squashed.RowCount);
        Assert.Equal(points[2], (float[])squashed.GetValue("xy", 0)!);
        Assert.Equal(points[Rows - 1], (float[])squashed.GetValue("xy", Rows - 3)!);
    }

    [Fact]
    public async Task DenseChunk_ReadWithApacheArrowsOwnReader_OneColumnTypedAsTheTableStoresIt()
    {
        using var table = await WriteAsync();
        var points = Points(Rows, seed: 7);
        var editor = AddPoints(table, "xy", points);
        editor.DenseBatchRows = 3_000;
        using var revision = await editor.CommitAsync();

        var chunk = revision.Object.Edits!["xy"].Chunk!;
        Assert.Equal([3_000, 3_000, 3_000, 1_000], chunk.Batches);
        using var stream = File.OpenRead(ChunkPath(revision, "xy"));
        using var reader = new ArrowFileReader(stream);
        var field = Assert.Single(reader.Schema.FieldsList);
        Assert.Equal("xy", field.Name);
        var type = Assert.IsType<FixedSizeListType>(field.DataType);
        Assert.Equal(2, type.ListSize);
        Assert.IsType<FloatType>(type.ValueDataType);
        Assert.True(ArrowSchemas.TypesEqual(revision.ArrowSchema.GetFieldByName("xy").DataType, field.DataType));
        Assert.Equal(SchemaJson.ToJsonString(revision.Schema["xy"]), field.Metadata[ArrowSchemas.SchemaMetadataKey]);
        Assert.Equal(4, await reader.RecordBatchCountAsync());
        var values = new List<float>();
        RecordBatch? batch;
        while ((batch = reader.ReadNextRecordBatch()) is not null)
        {
            values.AddRange(((FloatArray)((FixedSizeListArray)batch.Column(0)).Values).Values.ToArray());
        }
        Assert.Equal(points.SelectMany(p => p), values);
    }

    [Fact]
    public async Task DenseEdit_ListAndStructColumns_ReadBackExactlyAndMatchTheJsonRunsForm()
    {
        using var table = await WriteAsync(3_000);
        var rows = AllRows(3_000);
        static float[] Vector(long i) => [.. Enumerable.Range(0, (int)(i % 4)).Select(k => (k * 0.25f) - i)];
        static BoundingBoxes2D Boxes(long i) => new(640, 480, [.. Enumerable.Range(0, (int)(i % 3)).Select(k => new BoundingBox2D(k, i % 7, k + 10.5f, (i % 7) + 3, k % 2))]);

        using var revision = await table.Edit()
            .SetEach("vec", rows, rows.Select(i => (object?)Vector(i)).ToArray())
            .SetEach("bbs", rows, rows.Select(i => (object?)Boxes(i)).ToArray())
            .CommitAsync();

        Assert.NotNull(revision.Object.Edits!["vec"].Chunk);
        Assert.NotNull(revision.Object.Edits["bbs"].Chunk);
        Assert.NotEqual(revision.Object.Edits["vec"].Chunk!.Url, revision.Object.Edits["bbs"].Chunk!.Url);
        using (var stream = File.OpenRead(ChunkPath(revision, "bbs")))
        using (var reader = new ArrowFileReader(stream))
        {
            Assert.True(ArrowSchemas.TypesEqual(revision.ArrowSchema.GetFieldByName("bbs").DataType, Assert.Single(reader.Schema.FieldsList).DataType));
            Assert.IsType<StructType>(reader.Schema.FieldsList[0].DataType);
        }
        using var reopened = await Table.OpenAsync(revision.Url);
        foreach (var i in new long[] { 0, 1, 2, 5, 1_234, 2_999 })
        {
            Assert.Equal(Vector(i), (float[])reopened.GetValue("vec", i)!);
            var boxes = BoundingBoxes2D.FromRowValue(reopened.GetValue("bbs", i));
            Assert.Equal((640f, 480f), (boxes.ImageWidth, boxes.ImageHeight));
            Assert.Equal(Boxes(i).Boxes, boxes.Boxes);
        }
        using var runs = await AsJsonRunsAsync(revision, "base.r0001-runs");
        Assert.Equal(runs.ContentHash(), reopened.ContentHash());
    }

    [Fact(Timeout = 120_000)]
    public async Task RandomAccess_DenseChunkOverHttp_FetchesOnlyTheBatchesOfTheRowsRead()
    {
        var ct = TestContext.Current.CancellationToken;
        const int rows = 20_000;
        const int dimensions = 64;
        using var table = await WriteAsync(rows);
        static float[] Embedding(long row) => [.. Enumerable.Range(0, dimensions).Select(k => (row * 0.001f) + k)];
        var editor = table.Edit()
            .AddColumn("embedding", new EmbeddingSchema(dimensions))
            .SetEach("embedding", AllRows(rows), AllRows(rows).Select(r => (object?)Embedding(r)).ToArray());
        editor.DenseBatchRows = 500;
        using var local = await editor.CommitAsync(ct);
        var chunk = local.Object.Edits!["embedding"].Chunk!;
        Assert.Equal(40, chunk.Batches.Count);
        var chunkPath = $"{local.Url.RelativeTo(_root.Url)}/{chunk.Url}";
        await using var server = new LocalHttpServer(_root.Path);

        using var served = await Table.OpenAsync(server.BaseUrl.Join(local.Url.RelativeTo(_root.Url)!), new UrlAdapterRegistry(new UrlAliases(environment: _ => null)), ct);
        foreach (var row in new long[] { 12_345, 17, 19_999, 12_346 })
        {
            Assert.Equal(Embedding(row), (float[])served.GetValue("embedding", row)!);
        }

        var bytes = server.BytesServed(chunkPath);
        Assert.True(bytes > 0, "nothing of the dense chunk was fetched");
        Assert.True(bytes < chunk.Bytes / 4, $"random access to 3 of 40 batches fetched {bytes} of the chunk's {chunk.Bytes} bytes: {string.Join("; ", server.Requests)}");
    }

    [Fact]
    public async Task Commit_StaleBaseWithADenseEdit_LeavesNoChunkOfTheLosingEdit()
    {
        using var table = await WriteAsync(5_000);
        var winner = AddPoints(table, "xy", Points(5_000, seed: 9));
        var loser = AddPoints(table, "xy", Points(5_000, seed: 10));

        using var published = await winner.CommitAsync();
        await Assert.ThrowsAsync<StaleRevisionException>(() => loser.CommitAsync());

        var files = Directory.GetFiles(published.Url.LocalPath, "*.arrow").Select(Path.GetFileName);
        Assert.Equal([published.Object.Edits!["xy"].Chunk!.Url], files);
    }

    [Fact]
    public async Task Open_DenseChunkOfAnotherColumnOrSize_ErrorNamesTheFileAndColumn()
    {
        using var table = await WriteAsync(5_000);
        using var revision = await AddPoints(table, "xy", Points(5_000)).SetEach("vec", AllRows(5_000), AllRows(5_000).Select(i => (object?)new[] { i * 1f, 2f }).ToArray()).CommitAsync();
        var xy = ChunkPath(revision, "xy");
        File.Copy(ChunkPath(revision, "vec"), xy, overwrite: true);

        using var reopened = await Table.OpenAsync(revision.Url);
        var e = Assert.Throws<FormatException>(() => reopened.GetValue("xy", 3));
        Assert.Contains(Path.GetFileName(xy), e.Message, StringComparison.Ordinal);
        Assert.Contains("'xy'", e.Message, StringComparison.Ordinal);

        var json = (await File.ReadAllTextAsync(ObjectFile(revision))).Replace("\"rows\": 5000", "\"rows\": 4000", StringComparison.Ordinal);
        await File.WriteAllTextAsync(ObjectFile(revision), json);
        var open = await Assert.ThrowsAsync<FormatException>(() => Table.OpenAsync(revision.Url));
        Assert.Contains("dense edit chunk", open.Message, StringComparison.Ordinal);
    }
}
