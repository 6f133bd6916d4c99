using System.Text.Json.Nodes;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

/// <summary>
/// Bad inputs of the vision importers: each error names the file and the location (line, JSON path or image), and no
/// table is published.
/// </summary>
public sealed class VisionBadInputTests : IDisposable
{
    private readonly TempRoot _root = new("badvision");

    public void Dispose() => _root.Dispose();

    private CocoImportOptions Coco(bool validate = false, CocoTask task = CocoTask.Detect, bool validateBoxes = false) => new()
    {
        Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings, ValidateImages = validate, Task = task,
        ValidateBoxes = validateBoxes,
    };

    private YoloImportOptions Yolo(bool validateBoxes = false) => new()
    {
        Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings, ValidateBoxes = validateBoxes,
    };

    private HuggingFaceImportOptions HuggingFace() => new() { Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings };

    private void AssertError(ImportException e, string file, string? location, string problem)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(e.Message);
        var url = Url.FromLocalPath(file).Value;
        Assert.Equal(url, e.File);
        Assert.Equal(location, e.Location);
        Assert.StartsWith(location is null ? url + ": " : $"{url}:{location}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        VisionTestData.AssertNothingPublished(_root);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("unknown image id", "annotations[4]", "annotation id 4: unknown image_id 99")]
    [InlineData("unknown category id", "annotations[7]", "annotation id 7: unknown category_id 42")]
    [InlineData("NaN bbox", "annotations[2]", "annotation id 2: bbox [NaN, 159, 19, 54] is not finite")]
    [InlineData("infinite bbox", "annotations[3]", "annotation id 3: bbox [81, 20, Infinity, 355] is not finite")]
    [InlineData("negative bbox", "annotations[5]", "annotation id 5: bbox [408, 168, -90, 91] has a negative width or height")]
    [InlineData("zero-size bbox", "annotations[6]", "annotation id 6: bbox [92, 108, 0, 222] has zero size")]
    [InlineData("bbox outside the image", "annotations[0]", "annotation id 0: bbox [191, 107, 123, 233] lies outside the 500×338 image")]
    [InlineData("non-numeric bbox", "annotations[1]", "annotation id 1: bbox[1] is not a number: \"87\"")]
    [InlineData("duplicate image id", "images[2]", "duplicate image id 1 (also images[1])")]
    [InlineData("duplicate category id", "categories[3]", "duplicate category id 2 (also categories[2])")]
    [InlineData("odd polygon", "annotations[8]", "annotation id 8: segmentation[0] has 31 numbers")]
    [InlineData("RLE of the wrong size", "annotations[9]", "annotation id 9: the RLE size [10, 10] differs from the image's [375, 500]")]
    public async Task FromCoco_InconsistentAnnotations_NameFileLocationAndId(string change, string location, string problem)
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, json =>
        {
            var annotations = json["annotations"]!.AsArray();
            switch (change)
            {
                case "unknown image id": annotations[4]!["image_id"] = 99; break;
                case "unknown category id": annotations[7]!["category_id"] = 42; break;
                case "NaN bbox": annotations[2]!["bbox"]![0] = "NaN"; break;
                case "infinite bbox": annotations[3]!["bbox"]![2] = "Infinity"; break;
                case "negative bbox": annotations[5]!["bbox"]![2] = -90.0; break;
                case "zero-size bbox": annotations[6]!["bbox"]![2] = 0.0; break;
                case "bbox outside the image": annotations[0]!["bbox"]![3] = 233.0; break;
                case "non-numeric bbox": annotations[1]!["bbox"]![1] = "87"; break;
                case "duplicate image id": json["images"]![2]!["id"] = 1; break;
                case "duplicate category id": json["categories"]![3]!["id"] = 2; break;
                case "odd polygon": annotations[8]!["segmentation"]![0]!.AsArray().RemoveAt(0); break;
                case "RLE of the wrong size":
                    annotations[9]!["segmentation"] = new JsonObject { ["counts"] = new JsonArray(100), ["size"] = new JsonArray(10, 10) };
                    break;
                default: throw new ArgumentException(change);
            }
        });
        var e = await Assert.ThrowsAsync<ImportException>(() =>
            Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Coco(task: CocoTask.Segment, validateBoxes: true), cancellationToken: ct));
        AssertError(e, path, location, problem);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_BboxOneHalfPixelOutside_IsWithinTolerance()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, json => json["annotations"]![0]!["bbox"]![3] = 231.5);
        using var table = await Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Coco(validateBoxes: true), cancellationToken: ct);
        Assert.Equal(231.5f, ((DataTypes.BoundingBoxes2D)table[0]["bbs"]!).Boxes[0].Y1);
    }

    [Theory(Timeout = 120_000)]
    [InlineData(0, -1.5, "bbox [-1.5, 107, 123, 200] lies outside the 500×338 image (id 0) by more than 1 pixel")]
    [InlineData(2, 1.5, "bbox [191, 107, 310.5, 200] lies outside the 500×338 image (id 0) by more than 1 pixel")]
    [InlineData(3, 232.5, "bbox [191, 107, 123, 232.5] lies outside")]
    public async Task FromCoco_BboxOutsideWithValidateBoxes_NamesFileAndAnnotationId(int index, double value, string problem)
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, json =>
        {
            var bbox = json["annotations"]![0]!["bbox"]!.AsArray();
            bbox[3] = 200.0;
            bbox[index] = index == 2 ? 500 - 191 + value : value;
        });

        var e = await Assert.ThrowsAsync<ImportException>(() =>
            Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Coco(validateBoxes: true), cancellationToken: ct));

        AssertError(e, path, "annotations[0]", "annotation id 0: " + problem);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_BboxOutsideWithoutValidateBoxes_ImportsTheBoxAsWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, json => json["annotations"]![0]!["bbox"]![3] = 233.0);

        using var table = await Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Coco(), cancellationToken: ct);

        var box = ((DataTypes.BoundingBoxes2D)table[0]["bbs"]!).Boxes[0];
        Assert.Equal(233f, box.Y1);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_MalformedJson_NamesTheLine()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, _ => { });
        var lines = File.ReadAllLines(path);
        var at = Array.FindIndex(lines, l => l.Contains("\"annotations\": [", StringComparison.Ordinal));
        lines[at] = lines[at].Replace("[", "[ }", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Coco(), cancellationToken: ct));
        AssertError(e, path, $"line {at + 1}", "malformed JSON");
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_BareNaNAsPythonWritesIt_NamesTheLineAndExplains()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, json => json["annotations"]![2]!["bbox"]![0] = "NAN-HERE");
        var lines = File.ReadAllLines(path);
        var at = Array.FindIndex(lines, l => l.Contains("\"NAN-HERE\"", StringComparison.Ordinal));
        lines[at] = lines[at].Replace("\"NAN-HERE\"", "NaN", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Coco(), cancellationToken: ct));
        AssertError(e, path, $"line {at + 1}", "NaN and Infinity are not JSON numbers");
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_MissingImageWithValidation_NamesImageEntryAndFile()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, json => json["images"]![1]!["file_name"] = "JPEGImages/missing.jpg");
        // Without validation the row is written with the URL as it is.
        using (await Table.FromCocoAsync(path, Fixtures.LabelmeCoco, new CocoImportOptions
        {
            Project = "p", Dataset = "d", Table = "unchecked", Root = _root.Url, Settings = _root.Settings,
        }, cancellationToken: ct))
        {
        }
        Directory.Delete(Path.Combine(_root.Path, "projects"), recursive: true);

        var e = await Assert.ThrowsAsync<ImportException>(() =>
            Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Coco(validate: true), cancellationToken: ct));
        AssertError(e, path, "images[1]", $"image id 1: the image file is missing: {Url.FromLocalPath(Path.Combine(Fixtures.LabelmeCoco, "JPEGImages", "missing.jpg"))}");
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCoco_ImageSizeDiffersFromHeaderWithValidation_NamesBoth()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = VisionTestData.WriteCoco(_root, json => json["images"]![0]!["height"] = 340);
        var e = await Assert.ThrowsAsync<ImportException>(() =>
            Table.FromCocoAsync(path, Fixtures.LabelmeCoco, Coco(validate: true), cancellationToken: ct));
        AssertError(e, path, "images[0]", "image id 0: the JSON says 500×340 but");
        Assert.Contains("2011_000003.jpg is 500×338", e.Message, StringComparison.Ordinal);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("15 0.5 0.6 0.2", "line 2", "expected 5 fields (class cx cy w h), got 4")]
    [InlineData("21 0.5 0.6 0.2 0.3", "line 2", "the class id 21 is outside the 21 categories (0..20)")]
    [InlineData("-1 0.5 0.6 0.2 0.3", "line 2", "the class id -1 is outside the 21 categories")]
    [InlineData("person 0.5 0.6 0.2 0.3", "line 2", "the class id 'person' is not an integer")]
    [InlineData("15 0.5 abc 0.2 0.3", "line 2", "field 3 ('abc') is not a number")]
    [InlineData("15 0.5 0.6 1.2 0.3", "line 2", "field 4 (1.2) is outside [0, 1]")]
    [InlineData("15 0.5 -0.01 0.2 0.3", "line 2", "field 3 (-0.01) is outside [0, 1]")]
    public async Task FromYolo_BadLabelLine_NamesLabelFileAndLine(string line, string location, string problem)
    {
        var ct = TestContext.Current.CancellationToken;
        var images = VisionTestData.CopyYolo(_root, "detect");
        var labels = Path.Combine(Path.GetDirectoryName(images)!, "labels", "2011_000025.txt");
        var lines = File.ReadAllLines(labels).ToList();
        lines.Insert(1, line);
        File.WriteAllLines(labels, lines);

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromYoloUrlAsync(images, Fixtures.YoloCategories, Yolo(), cancellationToken: ct));
        AssertError(e, labels, location, problem);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("15 0.95 0.5 0.2 0.3", "reaches x 0.85..1.05, y 0.35..0.65: outside the image [0, 1] by more than 0.001")]
    [InlineData("15 0.5 0.1 0.2 0.3", "reaches x 0.4..0.6, y -0.05..0.25: outside the image [0, 1]")]
    public async Task FromYolo_BoxOutsideWithValidateBoxes_NamesLabelFileAndLine(string line, string problem)
    {
        var ct = TestContext.Current.CancellationToken;
        var images = VisionTestData.CopyYolo(_root, "detect");
        var labels = Path.Combine(Path.GetDirectoryName(images)!, "labels", "2011_000025.txt");
        var lines = File.ReadAllLines(labels).ToList();
        lines.Insert(1, line);
        File.WriteAllLines(labels, lines);

        var e = await Assert.ThrowsAsync<ImportException>(() =>
            Table.FromYoloUrlAsync(images, Fixtures.YoloCategories, Yolo(validateBoxes: true), cancellationToken: ct));
        AssertError(e, labels, "line 2", problem);

        // Without the option the box is imported as written.
        using var table = await Table.FromYoloUrlAsync(images, Fixtures.YoloCategories, Yolo(), cancellationToken: ct);
        var row = Enumerable.Range(0, (int)table.RowCount).Single(i => ((string)table.Rows[i]["image"]!).EndsWith("2011_000025.jpg", StringComparison.Ordinal));
        Assert.Equal(lines.Count(l => l.Trim().Length > 0), ((DataTypes.BoundingBoxes2D)table[row]["bbs"]!).Boxes.Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromYolo_BoxCornerWithinToleranceWithValidateBoxes_IsImported()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = VisionTestData.CopyYolo(_root, "detect");
        var labels = Path.Combine(Path.GetDirectoryName(images)!, "labels", "2011_000025.txt");
        File.AppendAllText(labels, "15 0.9 0.5 0.2005 0.3\n");

        using var table = await Table.FromYoloUrlAsync(images, Fixtures.YoloCategories, Yolo(validateBoxes: true), cancellationToken: ct);

        Assert.True(table.RowCount > 0);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromYolo_SegmentLineWithTwoPoints_NamesLabelFileAndLine()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = VisionTestData.CopyYolo(_root, "segment");
        var labels = Path.Combine(Path.GetDirectoryName(images)!, "labels", "2011_000003.txt");
        File.AppendAllText(labels, "3 0.1 0.1 0.2 0.2\n");
        var count = File.ReadAllLines(labels).Length;

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromYoloUrlAsync(images, Fixtures.YoloCategories,
            new YoloImportOptions { Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings, Task = YoloTask.Segment },
            cancellationToken: ct));
        AssertError(e, labels, $"line {count}", "at least 3 x y pairs");
    }

    [Fact(Timeout = 120_000)]
    public async Task FromHuggingFace_MissingStateJson_NamesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = _root.File("hf/train");
        VisionTestData.CopyFolder(Path.Combine(Fixtures.HuggingFaceFashionMnist, "train"), folder);
        File.Delete(Path.Combine(folder, "state.json"));

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromHuggingFaceAsync(folder, HuggingFace(), cancellationToken: ct));
        AssertError(e, Path.Combine(folder, "state.json"), null, "the file is missing: a dataset saved with save_to_disk has state.json");
    }

    [Fact(Timeout = 120_000)]
    public async Task FromHuggingFace_MissingDatasetInfo_NamesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = _root.File("hf/train");
        VisionTestData.CopyFolder(Path.Combine(Fixtures.HuggingFaceFashionMnist, "train"), folder);
        File.Delete(Path.Combine(folder, "dataset_info.json"));

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromHuggingFaceAsync(folder, HuggingFace(), cancellationToken: ct));
        AssertError(e, Path.Combine(folder, "dataset_info.json"), null, "has dataset_info.json");
    }

    [Fact(Timeout = 120_000)]
    public async Task FromHuggingFace_MissingShard_NamesStateJsonEntryAndFile()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = _root.File("hfdict");
        VisionTestData.CopyFolder(Fixtures.HuggingFaceFashionMnist, root);
        File.Delete(Path.Combine(root, "train", "data-00001-of-00002.arrow"));

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromHuggingFaceAsync(root, HuggingFace(), cancellationToken: ct));
        AssertError(e, Path.Combine(root, "train", "state.json"), "_data_files[1]", "the data file 'data-00001-of-00002.arrow' is missing");
    }

    [Fact(Timeout = 120_000)]
    public async Task FromHuggingFace_CorruptShard_NamesTheShard()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = _root.File("hf/train");
        VisionTestData.CopyFolder(Path.Combine(Fixtures.HuggingFaceFashionMnist, "train"), folder);
        var shard = Path.Combine(folder, "data-00001-of-00002.arrow");
        var bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..(bytes.Length / 2)]);

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromHuggingFaceAsync(folder, HuggingFace(), cancellationToken: ct));
        AssertError(e, shard, "record batch 0", "not a readable Arrow IPC stream");
    }

    [Fact(Timeout = 120_000)]
    public async Task FromImageFolder_UnreadableImageWithValidation_NamesTheImage()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = _root.File("images/root");
        foreach (var cls in new[] { "Bag", "Coat" })
        {
            Directory.CreateDirectory(Path.Combine(folder, cls));
            foreach (var png in Directory.GetFiles(Path.Combine(Fixtures.FashionMnistTestPngs, cls)).Order(StringComparer.Ordinal).Take(3))
            {
                File.Copy(png, Path.Combine(folder, cls, Path.GetFileName(png)));
            }
        }
        var broken = Path.Combine(folder, "Coat", "broken.png");
        File.WriteAllBytes(broken, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromImageFolderAsync(folder,
            new ImageFolderImportOptions { Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings, ValidateImages = true },
            cancellationToken: ct));
        AssertError(e, broken, null, "not a readable image");
    }
}
