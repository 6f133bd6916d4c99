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
}
