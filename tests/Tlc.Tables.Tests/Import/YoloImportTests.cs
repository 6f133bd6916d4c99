using System.Text.Json;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class YoloImportTests : IDisposable
{
    private readonly TempRoot _root = new("yolo");

    public void Dispose() => _root.Dispose();

    private YoloImportOptions Options(YoloTask task = YoloTask.Detect, string table = "t", int? keypoints = null) => new()
    {
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = _root.Url,
        Settings = _root.Settings,
        Task = task,
        NumKeypoints = keypoints,
    };

    /// <summary>The COCO source of the fixture, by image file name: size, then per annotation (category, bbox, polygons).</summary>
    private static Dictionary<string, (int Width, int Height, List<(int Category, double[] Box, double[][] Polygons)> Annotations)> CocoSource()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(VisionTestData.LabelmeAnnotations));
        var annotations = json.RootElement.GetProperty("annotations").EnumerateArray().ToList();
        return json.RootElement.GetProperty("images").EnumerateArray().ToDictionary(
            i => Path.GetFileName(i.GetProperty("file_name").GetString()!),
            i => (i.GetProperty("width").GetInt32(), i.GetProperty("height").GetInt32(), annotations
                .Where(a => a.GetProperty("image_id").GetInt64() == i.GetProperty("id").GetInt64())
                .Select(a => (a.GetProperty("category_id").GetInt32(),
                    a.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
                    a.GetProperty("segmentation").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray()))
                .ToList()));
    }

    [Fact(Timeout = 120_000)]
    public async Task FromYolo_Detect_BoxesInPixelsMatchCocoSource()
    {
        var ct = TestContext.Current.CancellationToken;
        var coco = CocoSource();
        using var table = await Table.FromYoloUrlAsync(Path.Combine(Fixtures.Yolo, "detect", "images"), Fixtures.YoloCategories, Options(), cancellationToken: ct);

        Assert.Equal(3, table.RowCount);
        Assert.Equal(["image", "bbs", "weight"], table.Schema.Names);
        var bbs = (AnnotationSchema)table.Schema["bbs"];
        Assert.Equal("cxcywh", bbs.Attributes["box_format"]);
        Assert.Equal("true", bbs.Attributes["normalized"]);
        // Rows follow file names: 2011_000003, 2011_000006, 2011_000025.
        var names = table.Rows.Select(r => Path.GetFileName(new Url((string)r["image"]!).LocalPath)).ToList();
        Assert.Equal(["2011_000003.jpg", "2011_000006.jpg", "2011_000025.jpg"], names);
        var compared = 0;
        for (var i = 0; i < names.Count; i++)
        {
            var (width, height, annotations) = coco[names[i]];
            var boxes = Assert.IsType<BoundingBoxes2D>(table[i]["bbs"]);
            Assert.Equal((float)width, boxes.ImageWidth);
            Assert.Equal((float)height, boxes.ImageHeight);
            Assert.Equal((width, height), ImageSample.ReadSize(File.ReadAllBytes(new Url((string)table[i]["image"]!).LocalPath)));
            Assert.Equal(annotations.Count, boxes.Boxes.Count);
            for (var k = 0; k < boxes.Boxes.Count; k++)
            {
                var b = boxes.Boxes[k];
                double[] pixels = [(b.X0 - (b.X1 / 2)) * width, (b.Y0 - (b.Y1 / 2)) * height, b.X1 * width, b.Y1 * height];
                Assert.Equal(annotations[k].Category, b.Label);
                for (var v = 0; v < 4; v++)
                {
                    Assert.True(VisionTestData.Close(annotations[k].Box[v], pixels[v], 1e-3),
                        $"{names[i]} box {k}[{v}]: COCO {annotations[k].Box[v]}, YOLO {pixels[v]}");
                }
                compared++;
            }
        }
        Assert.Equal(12, compared);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromYolo_Segment_PolygonsInPixelsMatchCocoSource()
    {
        var ct = TestContext.Current.CancellationToken;
        var coco = CocoSource();
        using var table = await Table.FromYoloUrlAsync(Path.Combine(Fixtures.Yolo, "segment", "images"), Fixtures.YoloCategories,
            Options(YoloTask.Segment), cancellationToken: ct);

        Assert.Equal(["image", "segmentations", "weight"], table.Schema.Names);
        var compared = 0;
        for (var i = 0; i < table.Count; i++)
        {
            var name = Path.GetFileName(new Url((string)table[i]["image"]!).LocalPath);
            var polygons = Assert.IsType<SegmentationPolygons>(table[i]["segmentations"]);
            // The converter writes one line per polygon, so each instance holds one polygon, in COCO order, with points
            // clipped to the image (one labelme point lies 0.38 px below the 375-pixel border).
            var (width, height, annotations) = coco[name];
            var expected = annotations.SelectMany(a => a.Polygons.Select(p => (a.Category,
                Polygon: p.Select((v, k) => Math.Clamp(v, 0, k % 2 == 0 ? width : height)).ToArray()))).ToList();
            Assert.Equal(expected.Count, polygons.Instances.Count);
            for (var k = 0; k < expected.Count; k++)
            {
                var actual = Assert.Single(polygons.Instances[k].Polygons);
                Assert.Equal(expected[k].Category, polygons.Instances[k].Label);
                Assert.Equal(expected[k].Polygon.Length, actual.Count);
                for (var v = 0; v < actual.Count; v++)
                {
                    Assert.True(VisionTestData.Close(expected[k].Polygon[v], actual[v], 1e-3), $"{name} polygon {k}[{v}]");
                }
                compared++;
            }
        }
        Assert.Equal(16, compared);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromYolo_MissingLabelFile_MeansNoObjects()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = VisionTestData.CopyYolo(_root, "detect");
        File.Delete(Path.Combine(images, "..", "labels", "2011_000006.txt"));
        using var table = await Table.FromYoloUrlAsync(images, Fixtures.YoloCategories, Options(), cancellationToken: ct);

        Assert.Equal(3, table.RowCount);
        Assert.Equal([3, 0, 3], table.Select(r => ((BoundingBoxes2D)r["bbs"]!).Boxes.Count));
    }

    [Fact(Timeout = 120_000)]
    public async Task FromYolo_NestedImagesFolder_FindsLabelsByReplacingTheLastImagesSegment()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = _root.File("nested/images/data");
        Directory.CreateDirectory(Path.Combine(root, "images", "train"));
        Directory.CreateDirectory(Path.Combine(root, "labels", "train"));
        var jpeg = Path.Combine(Fixtures.LabelmeCoco, "JPEGImages", "2011_000003.jpg");
        File.Copy(jpeg, Path.Combine(root, "images", "train", "a.jpg"));
        File.WriteAllText(Path.Combine(root, "labels", "train", "a.txt"), "1 0.5 0.5 0.25 0.125\n\n");

        Assert.Equal(Url.FromLocalPath(Path.Combine(root, "labels", "train")), YoloImporter.LabelsFolder(Url.FromLocalPath(Path.Combine(root, "images", "train"))));
        using var table = await Table.FromYoloUrlAsync(Path.Combine(root, "images", "train"), ["a", "b"], Options(), cancellationToken: ct);
        Assert.Equal([new BoundingBox2D(0.5f, 0.5f, 0.25f, 0.125f, 1)], ((BoundingBoxes2D)table[0]["bbs"]!).Boxes);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromYolo_Pose_KeypointsInPixelsWithVisibility()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = _root.File("pose/images");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(Path.Combine(images, "..", "labels"));
        File.Copy(Path.Combine(Fixtures.LabelmeCoco, "JPEGImages", "2011_000003.jpg"), Path.Combine(images, "p.jpg"));
        File.WriteAllText(Path.Combine(images, "..", "labels", "p.txt"), "0 0.5 0.5 0.2 0.4 0.5 0.25 2 0.1 0.5 1 0 0 0\n");

        using var table = await Table.FromYoloUrlAsync(images, ["person"], Options(YoloTask.Pose, keypoints: 3), cancellationToken: ct);

        Assert.Equal(["image", "bbs", "keypoints", "weight"], table.Schema.Names);
        Assert.Equal([new BoundingBox2D(0.5f, 0.5f, 0.2f, 0.4f, 0)], ((BoundingBoxes2D)table[0]["bbs"]!).Boxes);
        var keypoints = Assert.IsType<Keypoints2D>(table[0]["keypoints"]);
        var instance = Assert.Single(keypoints.Instances);
        Assert.Equal([250f, 84.5f, 50f, 169f, 0f, 0f], instance.Points);
        Assert.Equal([(sbyte)2, (sbyte)1, (sbyte)0], instance.Visibility!);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromYolo_Obb_CornersBecomeCentreSizeRotationInPixels()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = _root.File("obb/images");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(Path.Combine(images, "..", "labels"));
        // 2011_000003.jpg is 500×338. Box 1: axis-aligned, x 100..200, y 50..100. Box 2: a 40×20 box about (250, 169) turned
        // a quarter counter-clockwise as seen: its first edge runs up the image.
        File.Copy(Path.Combine(Fixtures.LabelmeCoco, "JPEGImages", "2011_000003.jpg"), Path.Combine(images, "o.jpg"));
        static string N(double v, double size) => (v / size).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var first = string.Join(' ', new[] { (100.0, 50.0), (200, 50), (200, 100), (100, 100) }.Select(c => $"{N(c.Item1, 500)} {N(c.Item2, 338)}"));
        var second = string.Join(' ', new[] { (240.0, 189.0), (240, 149), (260, 149), (260, 189) }.Select(c => $"{N(c.Item1, 500)} {N(c.Item2, 338)}"));
        File.WriteAllText(Path.Combine(images, "..", "labels", "o.txt"), $"1 {first}\n0 {second}\n");

        using var table = await Table.FromYoloUrlAsync(images, ["person", "car"], Options(YoloTask.Obb), cancellationToken: ct);

        Assert.Equal(["image", "obbs", "weight"], table.Schema.Names);
        Assert.Equal(OrientedBoundingBoxes2D.TypeName, table.Schema["obbs"].Type);
        var obbs = Assert.IsType<OrientedBoundingBoxes2D>(table[0]["obbs"]);
        Assert.Equal((500f, 338f), (obbs.ImageWidth, obbs.ImageHeight));
        Assert.Equal(2, obbs.Boxes.Count);
        var (a, b) = (obbs.Boxes[0], obbs.Boxes[1]);
        Assert.Equal(1, a.Label);
        Assert.Equal([150, 75, 100, 50, 0], new[] { a.CenterX, a.CenterY, a.Width, a.Height, a.Rotation }.Select(v => Math.Round(v, 3)));
        Assert.Equal(0, b.Label);
        Assert.Equal([250, 169, 40, 20], new[] { b.CenterX, b.CenterY, b.Width, b.Height }.Select(v => Math.Round(v, 3)));
        Assert.Equal(Math.PI / 2, b.Rotation, 1e-5);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromYolo_ObbLineWithEightFields_NamesLabelFileAndLine()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = _root.File("obb-bad/images");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(Path.Combine(images, "..", "labels"));
        File.Copy(Path.Combine(Fixtures.LabelmeCoco, "JPEGImages", "2011_000003.jpg"), Path.Combine(images, "o.jpg"));
        var labels = Path.GetFullPath(Path.Combine(images, "..", "labels", "o.txt"));
        File.WriteAllText(labels, "0 0.1 0.1 0.2 0.1 0.2 0.2 0.1 0.2\n0 0.1 0.1 0.2 0.1 0.2 0.2 0.1\n");

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromYoloUrlAsync(images, ["person"], Options(YoloTask.Obb), cancellationToken: ct));

        Assert.Contains("o.txt", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected 9 fields (class x1 y1 x2 y2 x3 y3 x4 y4), got 8", e.Message, StringComparison.Ordinal);
    }
}
