using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class HuggingFaceImportTests : IDisposable
{
    private readonly TempRoot _root = new("hf");

    public void Dispose() => _root.Dispose();

    private HuggingFaceImportOptions Options(string split = "train", string table = "t") => new()
    {
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = _root.Url,
        Settings = _root.Settings,
        Split = split,
    };

    private sealed record ExpectedRow(string Png, bool HasBytes, int Label, float X, string? Name, long[] Tokens);

    private static (List<string> Classes, List<ExpectedRow> Rows) Expected(string split)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.HuggingFaceFashionMnist, "expected.json")));
        var classes = json.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToList();
        var rows = json.RootElement.GetProperty(split).EnumerateArray().Select(r => new ExpectedRow(
            r.GetProperty("png").GetString()!, r.GetProperty("hasBytes").GetBoolean(), r.GetProperty("label").GetInt32(),
            r.GetProperty("x").GetSingle(), r.GetProperty("name").GetString(),
            r.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt64()).ToArray())).ToList();
        return (classes, rows);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromHuggingFace_DatasetDictTrain_RowsLabelsAndPixelsEqualInputs()
    {
        var ct = TestContext.Current.CancellationToken;
        var (classes, expected) = Expected("train");
        using var table = await Table.FromHuggingFaceAsync(Fixtures.HuggingFaceFashionMnist, Options(), cancellationToken: ct);

        Assert.Equal(20, expected.Count);
        Assert.Equal(expected.Count, table.RowCount);
        Assert.Equal(["image", "label", "x", "name", "tokens", "weight"], table.Schema.Names);
        Assert.Equal(classes, Assert.IsType<CategoricalLabelSchema>(table.Schema["label"]).Classes);
        Assert.Equal(ImageSampleType.Png, Assert.IsType<ImageSchema>(table.Schema["image"]).ImageSampleType);
        Assert.IsType<Float32Schema>(table.Schema["x"]);
        Assert.IsType<Int64Schema>(Assert.IsType<ListSchema>(table.Schema["tokens"]).Element);
        for (var i = 0; i < expected.Count; i++)
        {
            var row = table[i];
            Assert.Equal(expected[i].Label, row["label"]);
            Assert.Equal(expected[i].X, row["x"]);
            Assert.Equal(expected[i].Name, row["name"]);
            Assert.Equal(expected[i].Tokens, (long[])row["tokens"]!);
            var source = ImageSample.Decode(File.ReadAllBytes(Fixtures.Require(expected[i].Png)));
            var image = Assert.IsType<ImageSample>(row["image"]);
            Assert.Equal((source.Width, source.Height, source.ColorType), (image.Width, image.Height, image.ColorType));
            Assert.Equal(source.Pixels, image.Pixels);
            // Embedded bytes were written as bulk data of the table; path-only images keep the dataset's path.
            var stored = (string)table.Rows[i]["image"]!;
            if (expected[i].HasBytes)
            {
                Assert.Contains("/bulk_data/", stored, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(Url.FromLocalPath(Fixtures.Require(expected[i].Png)).Value, stored);
            }
        }
        Assert.Null(table[7]["name"]);
        Assert.Equal(4, expected.Count(r => !r.HasBytes));
    }

    [Fact(Timeout = 120_000)]
    public async Task FromHuggingFace_TestSplitAndPlainDatasetFolder_ReadTheirShards()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, expected) = Expected("test");
        using var test = await Table.FromHuggingFaceAsync(Fixtures.HuggingFaceFashionMnist, Options("test"), cancellationToken: ct);
        Assert.Equal(expected.Select(r => r.Label), test.Rows.Select(r => (int)r["label"]!));

        using var train = await Table.FromHuggingFaceAsync(Path.Combine(Fixtures.HuggingFaceFashionMnist, "train"), Options(table: "plain"), cancellationToken: ct);
        Assert.Equal(Expected("train").Rows.Select(r => r.Label), train.Rows.Select(r => (int)r["label"]!));
        Assert.Equal("hugging_face", train.Object.Source?["format"]?.GetValue<string>());
    }

    [Fact(Timeout = 120_000)]
    public async Task FromHuggingFace_NestedFeatures_MapToStructsAndLists()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = _root.File("nested/ds");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "dataset_info.json"), """
            {"features": {
              "meta": {"a": {"dtype": "int32", "_type": "Value"}, "b": {"dtype": "string", "_type": "Value"}},
              "boxes": {"feature": {"x": {"dtype": "float32", "_type": "Value"}, "cls": {"names": ["u", "v"], "_type": "ClassLabel"}}, "_type": "List"},
              "tags": [{"names": ["p", "q", "r"], "_type": "ClassLabel"}],
              "flag": {"dtype": "bool", "_type": "Value"},
              "label": {"names": ["no", "yes"], "_type": "ClassLabel"}
            }}
            """);
        File.WriteAllText(Path.Combine(folder, "state.json"), """{"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_split": "train"}""");
        WriteNestedShard(Path.Combine(folder, "data-00000-of-00001.arrow"));

        using var table = await Table.FromHuggingFaceAsync(folder, Options(), cancellationToken: ct);

        Assert.Equal(2, table.RowCount);
        var meta = Assert.IsType<StructSchema>(table.Schema["meta"]);
        Assert.IsType<Int32Schema>(meta.Field("a"));
        Assert.IsType<StringSchema>(meta.Field("b"));
        var boxes = Assert.IsType<StructSchema>(Assert.IsType<ListSchema>(table.Schema["boxes"]).Element);
        Assert.IsType<Float32Schema>(boxes.Field("x"));
        Assert.Equal(["u", "v"], ((ScalarSchema)boxes.Field("cls")!).ValueMap!.Names);
        Assert.Equal(["p", "q", "r"], Assert.IsType<CategoricalLabelListSchema>(table.Schema["tags"]).ValueMap.Names);
        Assert.True(table.Schema["flag"].Nullable);

        var row0 = table.Rows[0];
        var m = (IReadOnlyDictionary<string, object?>)row0["meta"]!;
        Assert.Equal((1, "x"), ((int)m["a"]!, (string)m["b"]!));
        var list = (object?[])row0["boxes"]!;
        Assert.Equal([(0.5f, 1), (1.5f, 0)], list.Cast<IReadOnlyDictionary<string, object?>>().Select(b => ((float)b["x"]!, (int)b["cls"]!)));
        Assert.Equal([2], (int[])row0["tags"]!);
        Assert.Equal(true, row0["flag"]);
        Assert.Equal(1, row0["label"]);
        var row1 = table.Rows[1];
        Assert.Empty((System.Collections.IEnumerable)row1["boxes"]!);
        Assert.Equal([0, 1], (int[])row1["tags"]!);
        Assert.Null(row1["flag"]);
        Assert.Null(row1["label"]); // ClassLabel -1: no label
    }

    /// <summary>Two rows of nested values as <c>datasets</c> stores them (structs, lists of structs, int64 class labels).</summary>
    private static void WriteNestedShard(string path)
    {
        var metaType = new StructType([new Field("a", Int32Type.Default, true), new Field("b", StringType.Default, true)]);
        var meta = new StructArray(metaType, 2,
            [new Int32Array.Builder().Append(1).Append(2).Build(), new StringArray.Builder().Append("x").Append("y").Build()], ArrowBuffer.Empty);
        var boxType = new StructType([new Field("x", FloatType.Default, true), new Field("cls", Int64Type.Default, true)]);
        var boxValues = new StructArray(boxType, 2,
            [new FloatArray.Builder().Append(0.5f).Append(1.5f).Build(), new Int64Array.Builder().Append(1).Append(0).Build()], ArrowBuffer.Empty);
        var boxes = new ListArray(new ListType(new Field("item", boxType, true)), 2,
            new ArrowBuffer.Builder<int>().Append(0).Append(2).Append(2).Build(), boxValues, ArrowBuffer.Empty);
        var tags = new ListArray(new ListType(new Field("item", Int64Type.Default, true)), 2,
            new ArrowBuffer.Builder<int>().Append(0).Append(1).Append(3).Build(),
            new Int64Array.Builder().Append(2).Append(0).Append(1).Build(), ArrowBuffer.Empty);
        var flag = new BooleanArray.Builder().Append(true).AppendNull().Build();
        var label = new Int64Array.Builder().Append(1).Append(-1).Build();
        var schema = new Apache.Arrow.Schema.Builder()
            .Field(new Field("meta", metaType, true)).Field(new Field("boxes", boxes.Data.DataType, true))
            .Field(new Field("tags", tags.Data.DataType, true)).Field(new Field("flag", BooleanType.Default, true))
            .Field(new Field("label", Int64Type.Default, true)).Build();
        using var stream = File.Create(path);
        using var writer = new ArrowStreamWriter(stream, schema);
        writer.WriteRecordBatch(new RecordBatch(schema, [meta, boxes, tags, flag, label], 2));
        writer.WriteEnd();
    }

    [Fact(Timeout = 120_000)]
    public async Task FromHuggingFace_UnknownSplit_NamesTheSplits()
    {
        var ct = TestContext.Current.CancellationToken;
        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromHuggingFaceAsync(Fixtures.HuggingFaceFashionMnist, Options("validation"), cancellationToken: ct));
        Assert.Contains("dataset_dict.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("no split 'validation' (splits: train, test)", e.Message, StringComparison.Ordinal);
        VisionTestData.AssertNothingPublished(_root);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("""{"x": {"_type": "Audio", "sampling_rate": 16000}}""", "features.x", "'Audio' is not supported")]
    [InlineData("""{"x": {"dtype": "null", "_type": "Value"}}""", "features.x", "dtype 'null' is not supported")]
    [InlineData("""{"x": {"feature": {"_type": "Image"}, "_type": "Sequence"}}""", "features.x.feature", "'Image' is supported only as a column")]
    [InlineData("""{"x": {"feature": {"a": {"dtype": "int64", "_type": "Value"}}, "_type": "Sequence"}}""", "features.x", "'Sequence' of a dict")]
    public async Task FromHuggingFace_UnsupportedFeature_NamesTheFeatureAndType(string feature, string location, string problem)
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = _root.File("hf/train");
        VisionTestData.CopyFolder(Path.Combine(Fixtures.HuggingFaceFashionMnist, "train"), folder);
        var info = Path.Combine(folder, "dataset_info.json");
        File.WriteAllText(info, $$"""{"features": {{feature}}}""");

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromHuggingFaceAsync(folder, Options(), cancellationToken: ct));
        Assert.Equal(Url.FromLocalPath(info).Value, e.File);
        Assert.Equal(location, e.Location);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        VisionTestData.AssertNothingPublished(_root);
    }
}
