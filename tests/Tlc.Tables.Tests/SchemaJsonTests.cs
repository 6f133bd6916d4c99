using Tlc.DataTypes;
using Tlc.Schemas;

namespace Tlc.Tables.Tests;

public sealed class SchemaJsonTests
{
    public static TheoryData<string, ColumnSchema> Schemas() => new()
    {
        { "image png", new ImageSchema() },
        { "image jpeg", new ImageSchema(ImageSampleType.Jpeg) },
        { "image webp", new ImageSchema(ImageSampleType.Webp) },
        { "image url", new ImageSchema(ImageSampleType.Url) },
        { "segmentation", new SemanticSegmentationSchema(["bg", "road"]) },
        { "video", new VideoUrlSchema() },
        { "label", new CategoricalLabelSchema(["cat", "dog"]) { Description = "species", DisplayName = "Species" } },
        { "labels", new CategoricalLabelListSchema(["a", "b", "c"]) },
        { "embedding", new EmbeddingSchema(128) },
        { "embedding any", new EmbeddingSchema() },
        { "confidence", new ConfidenceSchema() },
        { "fraction", new FractionSchema() },
        { "iou", new IoUSchema() },
        { "probability", new ProbabilitySchema() },
        { "int32", new Int32Schema() },
        { "int64", new Int64Schema { Nullable = true } },
        { "float32", new Float32Schema { Min = -1, Max = 1 } },
        { "float64", new Float64Schema() },
        { "bool", new BoolSchema() },
        { "string", new StringSchema { Hidden = true } },
        { "uint8", new UInt8Schema() },
        { "bytes", new BytesSchema() },
        { "timestamp", new DateTimeSchema() },
        { "url", new UrlSchema() },
        { "epoch", new EpochSchema() },
        { "example id", new ExampleIdSchema() },
        { "weight", new SampleWeightSchema() },
        { "foreign id", new ForeignTableIdSchema("../t") },
        { "boxes 2d", BoundingBoxes2D.Schema(["a", "b"], BoxFormat.Cxcywh, normalized: true, includeConfidence: true) },
        { "boxes 3d", BoundingBoxes3D.Schema(["car"]) },
        { "oriented 2d", OrientedBoundingBoxes2D.Schema(["ship"]) },
        { "oriented 3d", OrientedBoundingBoxes3D.Schema(["car"]) },
        { "keypoints", Keypoints2D.Schema(3, ["person"], ["nose", "left", "right"], [(0, 1), (0, 2)]) },
        { "masks", SegmentationMasks.Schema(["bg", "fg"]) },
        { "polygons", SegmentationPolygons.Schema(["bg", "fg"]) },
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public void FromJson_EverySchema_RoundTripsClassAndContent(string name, ColumnSchema schema)
    {
        var json = SchemaJson.ToJsonString(schema);
        var back = SchemaJson.FromJson(System.Text.Json.Nodes.JsonNode.Parse(json), name);

        Assert.Equal(schema.GetType(), back.GetType());
        Assert.Equal(json, SchemaJson.ToJsonString(back));
        Assert.Equal(schema.Type, back.Type);
        Assert.Equal(schema.SampleType, back.SampleType);
        // Every schema maps to an Arrow type.
        Assert.NotNull(Arrow.ArrowSchemas.ToArrowType(back));
    }

    [Fact]
    public void FromJson_UnknownType_KeepsStructureAndName()
    {
        var json = """{"type":"my_score","kind":"float32","min":0}""";
        var schema = Assert.IsType<ScalarSchema>(SchemaJson.FromJson(System.Text.Json.Nodes.JsonNode.Parse(json), "x"));
        Assert.Equal("my_score", schema.Type);
        Assert.Equal(ScalarKind.Float32, schema.Kind);
        Assert.Equal(0, schema.Min);
    }

    [Fact]
    public void FromJson_Malformed_NamesThePlace()
    {
        var e = Assert.Throws<FormatException>(() => SchemaJson.FromJson(System.Text.Json.Nodes.JsonNode.Parse("""{"type":"int32","kind":"int128"}"""), "object.tlc.json: schema.x"));
        Assert.Contains("schema.x", e.Message, StringComparison.Ordinal);
        Assert.Contains("int128", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rle_EncodeDecode_RoundTripsAndCompressedMatchesCoco()
    {
        var mask = new byte[6 * 4];
        mask[(1 * 6) + 2] = 1;
        mask[(2 * 6) + 2] = 1;
        mask[(2 * 6) + 3] = 1;
        var counts = Rle.Encode(mask, 6, 4);
        Assert.Equal(mask, Rle.Decode(counts, 6, 4));
        Assert.Equal(3, Rle.Area(counts));
        var compressed = Rle.ToCompressedString(counts);
        Assert.Equal(counts, Rle.FromCompressedString(compressed));

        Assert.Equal([5, 3, 1, 120], Rle.FromCompressedString(Rle.ToCompressedString([5, 3, 1, 120])));
    }
}
