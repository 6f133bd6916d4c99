using System.Text.Json;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Export;
using Tlc.Testing;
using static Tlc.Tables.Tests.Export.DetectionTables;

namespace Tlc.Tables.Tests.Export;

public sealed class CocoExportTests : IDisposable
{
    private readonly TempRoot _root = new("coco-export");

    public void Dispose() => _root.Dispose();

    private static JsonElement Load(string path) => JsonDocument.Parse(File.ReadAllBytes(path)).RootElement;

    private static float[] Bbox(JsonElement annotation) => annotation.GetProperty("bbox").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    [Fact]
    public async Task ExportCoco_PixelCornerBoxes_ImagesAnnotationsAndCategoriesMatchTable()
    {
        var rows = PixelRows();
        using var table = await WriteAsync(_root, rows);
        var path = _root.File("coco/annotations.json");

        var result = await table.ExportCocoAsync(path);

        var coco = Load(path);
        Assert.Equal(3, result.Rows);
        Assert.Equal([(1L, "person"), (3L, "car"), (7L, "dog")],
            coco.GetProperty("categories").EnumerateArray().Select(c => (c.GetProperty("id").GetInt64(), c.GetProperty("name").GetString()!)));
        var images = coco.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal([0L, 1L, 2L], images.Select(i => i.GetProperty("id").GetInt64()));
        for (var i = 0; i < images.Count; i++)
        {
            Assert.Equal(Images[i].Width, images[i].GetProperty("width").GetInt32());
            Assert.Equal(Images[i].Height, images[i].GetProperty("height").GetInt32());
            var fileName = images[i].GetProperty("file_name").GetString()!;
            Assert.False(Path.IsPathRooted(fileName));
            Assert.Equal(Path.GetFullPath(ImagePath(i)), Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, fileName)));
        }
        var annotations = coco.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal(5, annotations.Count);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], annotations.Select(a => a.GetProperty("id").GetInt64()));
        var expected = rows.SelectMany((r, image) => r.Boxes!.Boxes.Select(b => (image, b))).ToList();
        for (var k = 0; k < annotations.Count; k++)
        {
            var (image, box) = expected[k];
            var a = annotations[k];
            Assert.Equal(image, a.GetProperty("image_id").GetInt64());
            Assert.Equal(box.Label, a.GetProperty("category_id").GetInt32());
            Assert.Equal([box.X0, box.Y0, box.X1 - box.X0, box.Y1 - box.Y0], Bbox(a));
            Assert.Equal((box.X1 - box.X0) * (box.Y1 - box.Y0), a.GetProperty("area").GetSingle(), 0.01f);
            Assert.Equal(box.IsCrowd == true ? 1 : 0, a.GetProperty("iscrowd").GetInt32());
            Assert.False(a.TryGetProperty("segmentation", out _));
        }
    }

    [Theory]
    [InlineData(BoxFormat.Cxcywh, true)]
    [InlineData(BoxFormat.Xywh, false)]
    [InlineData(BoxFormat.Xyxy, true)]
    public async Task ExportCoco_DeclaredFormat_ConvertedToPixelXywh(BoxFormat format, bool normalized)
    {
        // The same pixel boxes, stored in the declared format.
        var pixel = PixelRows();
        var stored = pixel.Select((r, i) => r with
        {
            Boxes = new BoundingBoxes2D(Images[i].Width, Images[i].Height, r.Boxes!.Boxes.Select(b => Encode(b, format, normalized, Images[i].Width, Images[i].Height)).ToList()),
        }).ToList();
        using var table = await WriteAsync(_root, stored, format: format, normalized: normalized);
        var path = _root.File("coco/converted.json");

        await table.ExportCocoAsync(path);

        var annotations = Load(path).GetProperty("annotations").EnumerateArray().ToList();
        var expected = pixel.SelectMany(r => r.Boxes!.Boxes).ToList();
        Assert.Equal(expected.Count, annotations.Count);
        for (var k = 0; k < expected.Count; k++)
        {
            var b = expected[k];
            float[] want = [b.X0, b.Y0, b.X1 - b.X0, b.Y1 - b.Y0];
            var got = Bbox(annotations[k]);
            for (var j = 0; j < 4; j++)
            {
                Assert.Equal(want[j], got[j], 0.01f);
            }
        }
    }

    private static BoundingBox2D Encode(BoundingBox2D b, BoxFormat format, bool normalized, float w, float h)
    {
        var (a, c, d, e) = format switch
        {
            BoxFormat.Xyxy => (b.X0, b.Y0, b.X1, b.Y1),
            BoxFormat.Xywh => (b.X0, b.Y0, b.X1 - b.X0, b.Y1 - b.Y0),
            _ => ((b.X0 + b.X1) / 2, (b.Y0 + b.Y1) / 2, b.X1 - b.X0, b.Y1 - b.Y0),
        };
        return normalized ? b with { X0 = a / w, Y0 = c / h, X1 = d / w, Y1 = e / h } : b with { X0 = a, Y0 = c, X1 = d, Y1 = e };
    }

    [Fact]
    public async Task ExportCoco_SegmentationColumn_WritesPolygonsWithShoelaceArea()
    {
        var square = new float[] { 10, 10, 50, 10, 50, 40, 10, 40 };     // 40 × 30
        var triangle = new float[] { 100, 100, 200, 100, 100, 150 };     // ½ · 100 · 50
        var rows = new List<DetectionRow>
        {
            new(ImagePath(0), new BoundingBoxes2D(500, 338, [new(10, 10, 50, 40, 1), new(100, 100, 200, 150, 3)]),
                new SegmentationPolygons(500, 338, [new PolygonInstance([square], 1), new PolygonInstance([triangle, square], 3)])),
            new(ImagePath(1), null, null),
        };
        using var table = await WriteAsync(_root, rows, withPolygons: true);
        var path = _root.File("coco/segm.json");

        await table.ExportCocoAsync(path);

        var coco = Load(path);
        Assert.Equal(2, coco.GetProperty("images").GetArrayLength());
        var annotations = coco.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal(2, annotations.Count);
        var polygons0 = annotations[0].GetProperty("segmentation").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToList();
        Assert.Equal([square], polygons0);
        Assert.Equal(1200f, annotations[0].GetProperty("area").GetSingle(), 0.01f);
        Assert.Equal(2, annotations[1].GetProperty("segmentation").GetArrayLength());
        Assert.Equal(2500f + 1200f, annotations[1].GetProperty("area").GetSingle(), 0.01f);
    }

    [Fact]
    public async Task ExportCoco_WeightThresholdOnRevision_LeavesOutImagesAndTheirBoxes()
    {
        using var table = await WriteAsync(_root, PixelRows());
        using var revision = await table.Edit().SetWeights([0], 0f).CommitAsync();
        var path = _root.File("coco/filtered.json");

        var result = await revision.ExportCocoAsync(path, new CocoExportOptions { WeightThreshold = 0.5f });

        var coco = Load(path);
        Assert.Equal((2L, 1L), (result.Rows, result.SkippedRows));
        Assert.Equal([1L, 2L], coco.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
        var annotations = coco.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal(3, annotations.Count);
        Assert.All(annotations, a => Assert.Equal(2, a.GetProperty("image_id").GetInt64()));
    }

    [Fact]
    public async Task ExportCoco_NoImageSizeInAnnotation_ReadsItFromTheJpeg()
    {
        using var table = await WriteAsync(_root, [new(ImagePath(0), new BoundingBoxes2D(0, 0, [new(0.1f, 0.2f, 0.3f, 0.4f, 1)]))],
            format: BoxFormat.Xyxy, normalized: true);
        var path = _root.File("coco/sizes.json");

        await table.ExportCocoAsync(path, new CocoExportOptions { AbsoluteImagePaths = true });

        var coco = Load(path);
        var image = coco.GetProperty("images")[0];
        Assert.Equal((500, 338), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        Assert.Equal(Path.GetFullPath(ImagePath(0)), image.GetProperty("file_name").GetString());
        var got = Bbox(coco.GetProperty("annotations")[0]);
        float[] want = [50, 67.6f, 100, 67.6f];
        for (var j = 0; j < 4; j++)
        {
            Assert.Equal(want[j], got[j], 0.01f);
        }
    }

    [Fact]
    public async Task ExportCoco_TablesNotFitForCoco_ClearErrorsAndNoFile()
    {
        var path = _root.File("coco/none.json");
        await using (var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Url), ["label"] = new CategoricalLabelSchema(["a"]) },
            Root = _root.Url, Settings = _root.Settings, Table = "classification",
        }))
        {
            writer.AddRow(new Dictionary<string, object?> { ["image"] = ImagePath(0), ["label"] = 0 });
            using var classification = await writer.FinalizeAsync();
            var noBoxes = await Assert.ThrowsAsync<ExportException>(() => classification.ExportCocoAsync(path));
            Assert.Contains("no bounding_boxes_2d column", noBoxes.Message, StringComparison.Ordinal);
            Assert.Contains("label (categorical_label)", noBoxes.Message, StringComparison.Ordinal);
        }

        using var twoBoxColumns = await WriteAsync(_root, PixelRows(), "two", secondBoxesColumn: true);
        var ambiguous = await Assert.ThrowsAsync<ExportException>(() => twoBoxColumns.ExportCocoAsync(path));
        Assert.Contains("several bounding_boxes_2d columns (bbs, predicted)", ambiguous.Message, StringComparison.Ordinal);
        Assert.Contains("BoxesColumn", ambiguous.Message, StringComparison.Ordinal);
        var notBoxes = await Assert.ThrowsAsync<ExportException>(() => twoBoxColumns.ExportCocoAsync(path, new CocoExportOptions { BoxesColumn = "image" }));
        Assert.Contains("'image'", notBoxes.Message, StringComparison.Ordinal);
        Assert.Empty(ExportTestTables.FilesUnder(Path.GetDirectoryName(path)!));

        await twoBoxColumns.ExportCocoAsync(path, new CocoExportOptions { BoxesColumn = "bbs" });
        Assert.Equal(5, Load(path).GetProperty("annotations").GetArrayLength());
    }

    [Fact]
    public async Task ExportCoco_PolygonCountDiffersFromBoxCount_ErrorNamesRowAndNothingWritten()
    {
        var rows = new List<DetectionRow>
        {
            new(ImagePath(0), new BoundingBoxes2D(500, 338, [new(1, 1, 2, 2, 1)]), new SegmentationPolygons(500, 338, [])),
        };
        using var table = await WriteAsync(_root, rows, withPolygons: true);
        var path = _root.File("coco/mismatch.json");

        var e = await Assert.ThrowsAsync<ExportException>(() => table.ExportCocoAsync(path));

        Assert.Contains("row 0", e.Message, StringComparison.Ordinal);
        Assert.Empty(ExportTestTables.FilesUnder(Path.GetDirectoryName(path)!));
    }
}
