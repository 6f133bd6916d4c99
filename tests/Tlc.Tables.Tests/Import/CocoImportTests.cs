using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class CocoImportTests : IDisposable
{
    private readonly TempRoot _root = new("coco");

    public void Dispose() => _root.Dispose();

    private CocoImportOptions Options(CocoTask task = CocoTask.Detect, bool crowd = false, bool validate = false, bool keepIds = true) => new()
    {
        Project = "p",
        Dataset = "d",
        Table = "t",
        Root = _root.Url,
        Settings = _root.Settings,
        Task = task,
        IncludeIsCrowd = crowd,
        ValidateImages = validate,
        KeepCategoryIds = keepIds,
    };

    /// <summary>The labelme annotations read independently: per image (file order) its size and (category, bbox, polygons) list.</summary>
    private static List<(string File, int Width, int Height, List<(int Category, double[] Box, double[][] Polygons)> Annotations)> ReadSource()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(VisionTestData.LabelmeAnnotations));
        var images = json.RootElement.GetProperty("images").EnumerateArray()
            .Select(i => (Id: i.GetProperty("id").GetInt64(), File: i.GetProperty("file_name").GetString()!,
                Width: i.GetProperty("width").GetInt32(), Height: i.GetProperty("height").GetInt32()))
            .ToList();
        var annotations = json.RootElement.GetProperty("annotations").EnumerateArray().ToList();
        return images.Select(image => (image.File, image.Width, image.Height, annotations
            .Where(a => a.GetProperty("image_id").GetInt64() == image.Id)
            .Select(a => (a.GetProperty("category_id").GetInt32(),
                a.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
                a.GetProperty("segmentation").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray()))
            .ToList())).ToList();
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_LabelmeDetect_BoxesAndSizesEqualJsonAndJpegHeaders()
    {
        var ct = TestContext.Current.CancellationToken;
        var source = ReadSource();
        using var table = await Table.FromCocoAsync(VisionTestData.LabelmeAnnotations, null, Options(validate: true), cancellationToken: ct);

        Assert.Equal(3, table.RowCount);
        Assert.Equal(["image", "width", "height", "bbs", "weight"], table.Schema.Names);
        var bbs = (ScalarSchema)((StructSchema)((ListSchema)((StructSchema)table.Schema["bbs"]).Field("bb_list")!).Element).Field("label")!;
        Assert.Equal("_background_", bbs.ValueMap![0].InternalName);
        Assert.Equal("tv/monitor", bbs.ValueMap![20].InternalName);
        Assert.Equal(12, source.Sum(s => s.Annotations.Count));
        for (var i = 0; i < source.Count; i++)
        {
            var (file, width, height, annotations) = source[i];
            var row = table[i];
            var url = (string)row["image"]!;
            Assert.Equal(Url.FromLocalPath(Path.Combine(Fixtures.LabelmeCoco, file)).Value, url);
            Assert.Equal(width, row["width"]);
            Assert.Equal(height, row["height"]);
            Assert.Equal((width, height), ImageSample.ReadSize(File.ReadAllBytes(new Url(url).LocalPath)));
            var boxes = Assert.IsType<BoundingBoxes2D>(row["bbs"]);
            Assert.Equal((float)width, boxes.ImageWidth);
            Assert.Equal((float)height, boxes.ImageHeight);
            Assert.Equal(annotations.Select(a => new BoundingBox2D((float)a.Box[0], (float)a.Box[1], (float)a.Box[2], (float)a.Box[3], a.Category)),
                boxes.Boxes);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_LabelmeSegment_PolygonsEqualJson()
    {
        var ct = TestContext.Current.CancellationToken;
        var source = ReadSource();
        using var table = await Table.FromCocoAsync(VisionTestData.LabelmeAnnotations, Fixtures.LabelmeCoco, Options(CocoTask.Segment), cancellationToken: ct);

        Assert.Equal(["image", "width", "height", "bbs", "segmentations", "weight"], table.Schema.Names);
        for (var i = 0; i < source.Count; i++)
        {
            var polygons = Assert.IsType<SegmentationPolygons>(table[i]["segmentations"]);
            Assert.Equal(source[i].Width, polygons.ImageWidth);
            Assert.Equal(source[i].Annotations.Count, polygons.Instances.Count);
            for (var k = 0; k < polygons.Instances.Count; k++)
            {
                var expected = source[i].Annotations[k];
                Assert.Equal(expected.Category, polygons.Instances[k].Label);
                Assert.Equal(expected.Polygons.Select(p => p.Select(v => (float)v).ToArray()), polygons.Instances[k].Polygons.Select(p => p.ToArray()));
            }
        }
        // Annotation 11 of the last image has four polygons.
        Assert.Equal(4, ((SegmentationPolygons)table[2]["segmentations"]!).Instances.Last().Polygons.Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_KeepCategoryIds_ChoosesIdsOrIndices()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, json =>
        {
            foreach (var category in json["categories"]!.AsArray())
            {
                category!["id"] = category["id"]!.GetValue<int>() + 100;
            }
            foreach (var annotation in json["annotations"]!.AsArray())
            {
                annotation!["category_id"] = annotation["category_id"]!.GetValue<int>() + 100;
            }
        });
        using var byId = await Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Options(), cancellationToken: ct);
        using var byIndex = await Table.FromCocoAsync(path, Fixtures.LabelmeCoco, new CocoImportOptions
        {
            Project = "p", Dataset = "d", Table = "t2", Root = _root.Url, Settings = _root.Settings, KeepCategoryIds = false,
        }, cancellationToken: ct);

        Assert.Equal([115, 115, 105], ((BoundingBoxes2D)byId[0]["bbs"]!).Boxes.Select(b => b.Label));
        Assert.Equal([15, 15, 5], ((BoundingBoxes2D)byIndex[0]["bbs"]!).Boxes.Select(b => b.Label));
        Assert.Equal(Enumerable.Range(100, 21).Select(i => (long)i), LabelMap(byId).Keys);
        Assert.Equal(Enumerable.Range(0, 21).Select(i => (long)i), LabelMap(byIndex).Keys);
        Assert.Equal("person", LabelMap(byIndex)[15].InternalName);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_CrowdRleAnnotations_SkippedByDefaultKeptAsMasksWhenIncluded()
    {
        var ct = TestContext.Current.CancellationToken;
        // Two crowd annotations on image 0 (338 × 500): one with list counts, one with COCO's compressed string.
        const int width = 500, height = 338;
        var mask = new byte[width * height];
        for (var y = 100; y < 150; y++)
        {
            for (var x = 20; x < 90; x++)
            {
                mask[(y * width) + x] = 1;
            }
        }
        var counts = Rle.Encode(mask, width, height);
        var path = VisionTestData.WriteCoco(_root, json =>
        {
            var annotations = json["annotations"]!.AsArray();
            annotations.Add(new JsonObject
            {
                ["id"] = 100, ["image_id"] = 0, ["category_id"] = 15, ["iscrowd"] = 1, ["area"] = 3500.0,
                ["bbox"] = new JsonArray(20.0, 100.0, 70.0, 50.0),
                ["segmentation"] = new JsonObject { ["counts"] = new JsonArray(counts.Select(c => (JsonNode?)c).ToArray()), ["size"] = new JsonArray(height, width) },
            });
            annotations.Add(new JsonObject
            {
                ["id"] = 101, ["image_id"] = 0, ["category_id"] = 12, ["iscrowd"] = 1, ["area"] = 3500.0,
                ["bbox"] = new JsonArray(20.0, 100.0, 70.0, 50.0),
                ["segmentation"] = new JsonObject { ["counts"] = Rle.ToCompressedString(counts), ["size"] = new JsonArray(height, width) },
            });
        });

        using var without = await Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Options(CocoTask.Segment), cancellationToken: ct);
        Assert.False(without.Schema.Contains("masks"));
        Assert.Equal(3, ((BoundingBoxes2D)without[0]["bbs"]!).Boxes.Count);

        using var with = await Table.FromCocoAsync(path, Fixtures.LabelmeCoco, new CocoImportOptions
        {
            Project = "p", Dataset = "d", Table = "crowd", Root = _root.Url, Settings = _root.Settings, Task = CocoTask.Segment, IncludeIsCrowd = true,
        }, cancellationToken: ct);
        var boxes = ((BoundingBoxes2D)with[0]["bbs"]!).Boxes;
        Assert.Equal([false, false, false, true, true], boxes.Select(b => b.IsCrowd));
        Assert.Equal(new BoundingBox2D(20, 100, 70, 50, 12) { IsCrowd = true }, boxes[4]);
        Assert.Equal(3, ((SegmentationPolygons)with[0]["segmentations"]!).Instances.Count);
        var masks = Assert.IsType<SegmentationMasks>(with[0]["masks"]);
        Assert.Equal((width, height), (masks.ImageWidth, masks.ImageHeight));
        Assert.Equal([15, 12], masks.Instances.Select(m => m.Label));
        Assert.All(masks.Instances, m => Assert.Equal(counts, m.Counts));
        Assert.Equal(mask, Rle.Decode(masks.Instances[1].Counts, width, height));
        Assert.Empty(((SegmentationMasks)with[1]["masks"]!).Instances);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_CrowdInDetect_BoxesCarryTheFlagOnlyWhenIncluded()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, json => json["annotations"]!.AsArray()[4]!["iscrowd"] = 1);
        using var table = await Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Options(crowd: true), cancellationToken: ct);
        Assert.Equal([false, true, false], ((BoundingBoxes2D)table[1]["bbs"]!).Boxes.Select(b => b.IsCrowd));

        using var skipped = await Table.FromCocoAsync(path, Fixtures.LabelmeCoco, new CocoImportOptions
        {
            Project = "p", Dataset = "d", Table = "nocrowd", Root = _root.Url, Settings = _root.Settings,
        }, cancellationToken: ct);
        Assert.Equal([6, 7], ((BoundingBoxes2D)skipped[1]["bbs"]!).Boxes.Select(b => b.Label));
        Assert.All(((BoundingBoxes2D)skipped[1]["bbs"]!).Boxes, b => Assert.Null(b.IsCrowd));
    }

    private static ValueMap LabelMap(Table table) =>
        ((ScalarSchema)((StructSchema)((ListSchema)((StructSchema)table.Schema["bbs"]).Field("bb_list")!).Element).Field("label")!).ValueMap!;
}
