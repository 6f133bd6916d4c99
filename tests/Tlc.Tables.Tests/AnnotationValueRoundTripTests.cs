using System.Buffers;
using System.Text.Json;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Export;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

/// <summary>
/// Full value round-trips of the 3-D and oriented box types: written through <see cref="TableWriter"/>, read back as raw rows,
/// as samples (<c>table[i]</c>, decoded by their sample types) and from a reopened table, every field equal; exported as JSON.
/// </summary>
public sealed class AnnotationValueRoundTripTests : IDisposable
{
    private static readonly string[] Classes = ["car", "pedestrian", "cyclist"];

    private readonly TempRoot _root = new("annotation-values");

    public void Dispose() => _root.Dispose();

    /// <summary>Three rows: several boxes with awkward floats (tiny, huge, negative, -0), no boxes, and a null value.</summary>
    private static readonly BoundingBoxes3D?[] Boxes3D =
    [
        new([new(1.5f, -2.25f, 0.75f, 4.1f, 1.8f, 1.6f, MathF.PI / 3, 0), new(-1e-7f, 3.4e38f, -0f, 0.5f, 0.5f, 2.0f, -MathF.PI, 2)]),
        new([]),
        null,
    ];

    private static readonly OrientedBoundingBoxes2D?[] Oriented2D =
    [
        new(640, 480, [new(320.5f, 240.25f, 100, 50.5f, 0.7853982f, 1), new(10, 20, 5, 2.5f, -3.1f, 0), new(600, 5, 1e-3f, 3e4f, 0, 2)]),
        new(1920.5f, 1080, []),
        null,
    ];

    private static readonly OrientedBoundingBoxes3D?[] Oriented3D =
    [
        new([new(1, 2, 3, 4, 5, 6, 0.1f, -0.2f, 0.3f, 2), new(-10.125f, 0, 1e-30f, 0.01f, 100, 7.5f, MathF.PI, -MathF.PI / 2, 2.5f, 1)]),
        new([]),
        null,
    ];

    private async Task<Table> WriteAsync(string name = "boxes")
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema
            {
                ["id"] = new Int32Schema(),
                ["boxes_3d"] = BoundingBoxes3D.Schema(Classes).AsNullable(),
                ["obbs_2d"] = OrientedBoundingBoxes2D.Schema(Classes).AsNullable(),
                ["obbs_3d"] = OrientedBoundingBoxes3D.Schema(Classes).AsNullable(),
            },
            Project = "p", Dataset = "d", Table = name, Root = _root.Url, Settings = _root.Settings,
        }, TestContext.Current.CancellationToken);
        for (var i = 0; i < Boxes3D.Length; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = i, ["boxes_3d"] = Boxes3D[i], ["obbs_2d"] = Oriented2D[i], ["obbs_3d"] = Oriented3D[i] });
        }
        return await writer.FinalizeAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Every field equal (records compare their box lists by reference, so the boxes are compared one by one).</summary>
    private static void AssertEqual(int row, TableRow values, Func<string, object?, object?> read)
    {
        var boxes3D = read("boxes_3d", values["boxes_3d"]) as BoundingBoxes3D;
        Assert.Equal(Boxes3D[row]?.Boxes, boxes3D?.Boxes);
        var oriented2D = read("obbs_2d", values["obbs_2d"]) as OrientedBoundingBoxes2D;
        Assert.Equal(Oriented2D[row]?.ImageWidth, oriented2D?.ImageWidth);
        Assert.Equal(Oriented2D[row]?.ImageHeight, oriented2D?.ImageHeight);
        Assert.Equal(Oriented2D[row]?.Boxes, oriented2D?.Boxes);
        var oriented3D = read("obbs_3d", values["obbs_3d"]) as OrientedBoundingBoxes3D;
        Assert.Equal(Oriented3D[row]?.Boxes, oriented3D?.Boxes);
    }

    private static object? Decode(string column, object? stored) => stored is null ? null : column switch
    {
        "boxes_3d" => BoundingBoxes3D.FromRowValue(stored),
        "obbs_2d" => OrientedBoundingBoxes2D.FromRowValue(stored),
        _ => OrientedBoundingBoxes3D.FromRowValue(stored),
    };

    [Fact]
    public async Task Finalize_3dAndOrientedBoxColumns_RowsSamplesAndReopenedTableKeepEveryField()
    {
        using var table = await WriteAsync();

        using var reopened = await Table.OpenAsync(table.Url, cancellationToken: TestContext.Current.CancellationToken);
        foreach (var t in new[] { table, reopened })
        {
            Assert.Equal(3, t.RowCount);
            for (var i = 0; i < 3; i++)
            {
                // Raw rows: the stored structs, decoded by each type's FromRowValue.
                AssertEqual(i, t.Rows[i], Decode);
                // Samples: the sample types decode into the annotation types themselves.
                var sample = t.Sample(i);
                AssertEqual(i, sample, (_, value) => value);
                if (i < 2)
                {
                    Assert.IsType<BoundingBoxes3D>(sample["boxes_3d"]);
                    Assert.IsType<OrientedBoundingBoxes2D>(t.SampleValue("obbs_2d", i));
                    Assert.IsType<OrientedBoundingBoxes3D>(t[i]["obbs_3d"]);
                }
                else
                {
                    Assert.Null(sample["boxes_3d"]);
                    Assert.Null(t.SampleValue("obbs_2d", i));
                }
            }
        }
    }

    [Fact]
    public void FromRowValue_OfToRowValue_KeepsEveryField()
    {
        // The stored form without a table in between (what a writer hands the column builders).
        Assert.Equal(Boxes3D[0]!.Boxes, BoundingBoxes3D.FromRowValue(Boxes3D[0]!.ToRowValue()).Boxes);
        Assert.Equal(Oriented2D[0]!.Boxes, OrientedBoundingBoxes2D.FromRowValue(Oriented2D[0]!.ToRowValue()).Boxes);
        Assert.Equal(Oriented3D[0]!.Boxes, OrientedBoundingBoxes3D.FromRowValue(Oriented3D[0]!.ToRowValue()).Boxes);
    }

    [Fact]
    public void FromRowValue_MissingField_NamesTheField()
    {
        var stored = new Dictionary<string, object?>
        {
            ["obb_list"] = new List<object?> { new Dictionary<string, object?> { ["center_x"] = 1f, ["center_y"] = 2f, ["center_z"] = 3f, ["label"] = 0 } },
        };

        var e = Assert.Throws<FormatException>(() => OrientedBoundingBoxes3D.FromRowValue(stored));

        Assert.Contains("size_x", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportJson_3dAndOrientedBoxes_EveryFieldAsItsNumber()
    {
        using var table = await WriteAsync();
        var path = _root.File("out/boxes.ndjson");

        await table.ExportJsonAsync(path, cancellationToken: TestContext.Current.CancellationToken);

        var lines = await File.ReadAllLinesAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(3, lines.Length);
        for (var i = 0; i < 3; i++)
        {
            using var row = JsonDocument.Parse(lines[i]);
            var root = row.RootElement;
            Assert.Equal(i, root.GetProperty("id").GetInt32());
            AssertJson(root.GetProperty("boxes_3d"), "bb_list", Boxes3D[i]?.Boxes,
                b => [b.CenterX, b.CenterY, b.CenterZ, b.SizeX, b.SizeY, b.SizeZ, b.Yaw], b => b.Label,
                ["center_x", "center_y", "center_z", "size_x", "size_y", "size_z", "yaw"]);
            AssertJson(root.GetProperty("obbs_2d"), "obb_list", Oriented2D[i]?.Boxes,
                b => [b.CenterX, b.CenterY, b.Width, b.Height, b.Rotation], b => b.Label,
                ["center_x", "center_y", "width", "height", "rotation"]);
            if (Oriented2D[i] is { } o)
            {
                Assert.Equal(o.ImageWidth, root.GetProperty("obbs_2d").GetProperty("image_width").GetSingle());
                Assert.Equal(o.ImageHeight, root.GetProperty("obbs_2d").GetProperty("image_height").GetSingle());
            }
            AssertJson(root.GetProperty("obbs_3d"), "obb_list", Oriented3D[i]?.Boxes,
                b => [b.CenterX, b.CenterY, b.CenterZ, b.SizeX, b.SizeY, b.SizeZ, b.Yaw, b.Pitch, b.Roll], b => b.Label,
                ["center_x", "center_y", "center_z", "size_x", "size_y", "size_z", "yaw", "pitch", "roll"]);
        }
    }

    private static void AssertJson<T>(JsonElement value, string list, IReadOnlyList<T>? expected, Func<T, float[]> numbers, Func<T, int> label, string[] names)
    {
        if (expected is null)
        {
            Assert.Equal(JsonValueKind.Null, value.ValueKind);
            return;
        }
        var boxes = value.GetProperty(list).EnumerateArray().ToList();
        Assert.Equal(expected.Count, boxes.Count);
        for (var k = 0; k < boxes.Count; k++)
        {
            var want = numbers(expected[k]);
            for (var f = 0; f < names.Length; f++)
            {
                // Bit-exact, -0 included.
                Assert.Equal(BitConverter.SingleToInt32Bits(want[f]), BitConverter.SingleToInt32Bits(boxes[k].GetProperty(names[f]).GetSingle()));
            }
            Assert.Equal(label(expected[k]), boxes[k].GetProperty("label").GetInt32());
        }
    }

    [Fact]
    public async Task JsonValuesWrite_DecodedSamples_WritesTheStoredForm()
    {
        using var table = await WriteAsync();
        var buffer = new ArrayBufferWriter<byte>();

        for (var i = 0; i < 3; i++)
        {
            var sample = table.Sample(i);
            var raw = table.Rows[i];
            foreach (var column in new[] { "boxes_3d", "obbs_2d", "obbs_3d" })
            {
                var fromSample = System.Text.Encoding.UTF8.GetString(JsonValues.ToUtf8(sample[column], buffer).Span);
                var fromRaw = System.Text.Encoding.UTF8.GetString(JsonValues.ToUtf8(raw[column], buffer).Span);
                Assert.Equal(fromRaw, fromSample);
            }
        }
        // A whole sample row too (the decoded annotation objects inside it).
        Assert.StartsWith("{\"id\":0,", System.Text.Encoding.UTF8.GetString(JsonValues.ToUtf8(table.Sample(0), buffer).Span), StringComparison.Ordinal);
    }

    [Fact]
    public void JsonValuesWrite_KeypointSample_VisibilityAsNumbers()
    {
        var keypoints = new Keypoints2D(64, 48, [new KeypointInstance([1.5f, 2.5f, 3, 4], 1, [2, 0])]);
        var buffer = new ArrayBufferWriter<byte>();

        var json = System.Text.Encoding.UTF8.GetString(JsonValues.ToUtf8(keypoints, buffer).Span);

        Assert.Equal("""{"image_width":64,"image_height":48,"instances":[{"label":1,"keypoints":[1.5,2.5,3,4],"visibility":[2,0]}]}""", json);
    }
}
