using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.DataTypes;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

/// <summary>
/// Bad COCO, YOLO and image-folder input imported as a job, chunk by chunk. Errors about the whole source fail the plan
/// under either policy. Under the fail policy a bad image fails its chunk with the one-process import's message (file and
/// annotation or label line); under the skip policy exactly the bad images are left out as whole rows and listed in the
/// quarantine, and the table equals the one-process import of the source without them.
/// </summary>
public sealed class ImportJobsVisionBadInputTests : IDisposable
{
    private readonly TempRoot _root = new("import-jobs-vision-bad");

    public void Dispose() => _root.Dispose();

    private static readonly string[] FashionClasses =
        ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"];

    /// <summary>The images the per-image cases spoil: one in the first chunk, one in a later chunk.</summary>
    private static readonly int[] BadImages = [1, 6];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Converts every chunk of <paramref name="plan"/> (under its error policy), in order.</summary>
    private async Task<ImportChunkConversion[]> ConvertAllAsync(ImportPlan plan) => await ConvertAsync(plan, _root);

    private static string Describe(Table quarantine) =>
        string.Join(" / ", quarantine.Rows.Select(r => $"{r["file"]} line {r["line"]} row {r["row"]} {r["column"]}: {r["reason"]}"));

    // ---------------------------------------------------------------- COCO

    private CocoImportOptions Coco(string table, bool validateImages = false, bool validateBoxes = false) => new()
    {
        Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = table,
        ValidateImages = validateImages, ValidateBoxes = validateBoxes, IfExists = IfExists.Raise,
    };

    /// <summary>
    /// A copy of the labelme COCO fixture with its 3 images copied 3 times (9 images, own files <c>JPEGImages/cK-….jpg</c>,
    /// ids 10·K + original, annotations in image order), so images can be deleted or spoiled one by one. Returns the
    /// annotation file (images beside it).
    /// </summary>
    private string WriteCocoSource(Action<JsonObject, string>? change = null)
    {
        var folder = Path.GetDirectoryName(_root.File("coco-src/x"))!;
        Directory.CreateDirectory(Path.Combine(folder, "JPEGImages"));
        var json = VisionTestData.LabelmeJson();
        var images = json["images"]!.AsArray().Select(i => i!.AsObject()).ToList();
        var annotations = json["annotations"]!.AsArray().Select(a => a!.AsObject()).ToList();
        var newImages = new JsonArray();
        var newAnnotations = new JsonArray();
        for (var k = 0; k < 3; k++)
        {
            foreach (var image in images)
            {
                var copy = image.DeepClone().AsObject();
                var name = (string)image["file_name"]!;
                var fileName = $"JPEGImages/c{k}-{Path.GetFileName(name)}";
                File.Copy(Path.Combine(Fixtures.LabelmeCoco, name), Path.Combine(folder, fileName));
                copy["file_name"] = fileName;
                copy["id"] = (10 * k) + (long)image["id"]!;
                newImages.Add(copy);
                foreach (var annotation in annotations.Where(a => (long)a["image_id"]! == (long)image["id"]!))
                {
                    var a = annotation.DeepClone().AsObject();
                    a["id"] = (100 * k) + (long)annotation["id"]!;
                    a["image_id"] = copy["id"]!.DeepClone();
                    newAnnotations.Add(a);
                }
            }
        }
        json["images"] = newImages;
        json["annotations"] = newAnnotations;
        change?.Invoke(json, folder);
        var path = Path.Combine(folder, "annotations.json");
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>The position in <c>annotations</c> of the first annotation of image <paramref name="image"/>.</summary>
    private static int FirstAnnotationOf(JsonObject json, int image)
    {
        var id = (long)json["images"]![image]!["id"]!;
        return json["annotations"]!.AsArray().Select((a, i) => (a, i)).First(x => (long)x.a!["image_id"]! == id).i;
    }

    /// <summary>
    /// Spoils image <paramref name="image"/> of the COCO source as <paramref name="change"/> says; returns the location
    /// and the start of the problem the fail policy names.
    /// </summary>
    private static (string Location, string Problem) SpoilCoco(string change, JsonObject json, string folder, int image)
    {
        var entry = json["images"]![image]!;
        var id = (long)entry["id"]!;
        var a = FirstAnnotationOf(json, image);
        var annotation = json["annotations"]![a]!;
        var annotationId = (long)annotation["id"]!;
        switch (change)
        {
            case "unknown-category":
                annotation["category_id"] = 42;
                return ($"annotations[{a}]", $"annotation id {annotationId}: unknown category_id 42 (no such id in categories)");
            case "box-outside":
                annotation["bbox"]![0] = (int)entry["width"]! - 5;
                return ($"annotations[{a}]", $"annotation id {annotationId}: bbox [{(int)entry["width"]! - 5}, ");
            case "missing-image":
                File.Delete(Path.Combine(folder, (string)entry["file_name"]!));
                return ($"images[{image}]", $"image id {id}: the image file is missing: ");
            case "undecodable-image":
                File.WriteAllText(Path.Combine(folder, (string)entry["file_name"]!), "not an image at all");
                return ($"images[{image}]", $"image id {id}: not a readable image (its header cannot be decoded): ");
            default:
                throw new ArgumentException(change);
        }
    }

    [Theory(Timeout = 120_000)]
    [InlineData("duplicate-image-id", ImportErrorPolicy.Fail, "images[4]", "duplicate image id 1 (also images[1])")]
    [InlineData("duplicate-image-id", ImportErrorPolicy.Skip, "images[4]", "duplicate image id 1 (also images[1])")]
    [InlineData("dangling-annotation", ImportErrorPolicy.Fail, "annotations[5]", "annotation id 5: unknown image_id 999 (no such id in images)")]
    [InlineData("dangling-annotation", ImportErrorPolicy.Skip, "annotations[5]", "annotation id 5: unknown image_id 999 (no such id in images)")]
    [InlineData("duplicate-category-id", ImportErrorPolicy.Skip, "categories[3]", "duplicate category id 2 (also categories[2])")]
    public async Task PlanCoco_WholeSourceError_FailsUnderEitherPolicy_NamingFileAndLocation(string change, ImportErrorPolicy policy, string location,
        string problem)
    {
        var path = WriteCocoSource((json, _) =>
        {
            switch (change)
            {
                case "duplicate-image-id": json["images"]![4]!["id"] = 1; break;
                case "dangling-annotation": json["annotations"]![5]!["image_id"] = 999; break;
                case "duplicate-category-id": json["categories"]![3]!["id"] = 2; break;
                default: throw new ArgumentException(change);
            }
        });

        var e = await Assert.ThrowsAsync<ImportException>(() => ImportJobs.PlanCocoAsync(path, null, Coco("t"), "job-plan",
            new ImportJobOptions { ImagesPerChunk = 2, ErrorPolicy = policy }, Ct));

        Assert.Equal(new Url(path).Value, e.File);
        Assert.Equal(location, e.Location);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root.Path, "projects", "p", "datasets", "d", "tables", "t", ImportJobs.PlanFolderName)),
            "no side files are left");
    }

    public static TheoryData<string, bool, bool> CocoImageCases() => new()
    {
        { "unknown-category", false, false },
        { "box-outside", false, true },
        { "missing-image", true, false },
        { "undecodable-image", true, false },
    };

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(CocoImageCases))]
    public async Task ConvertCoco_BadImage_FailPolicy_ChunkErrorIsTheOneProcessMessage(string change, bool validateImages, bool validateBoxes)
    {
        var spoiled = new List<(string Location, string Problem)>();
        var path = WriteCocoSource((json, folder) => spoiled.AddRange(BadImages.Select(i => SpoilCoco(change, json, folder, i))));
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() =>
            Table.FromCocoAsync(path, null, Coco("single", validateImages, validateBoxes), Ct));
        var (plan, _) = await ImportJobs.PlanCocoAsync(path, null, Coco("job", validateImages, validateBoxes), "job-cf",
            new ImportJobOptions { ImagesPerChunk = 2 }, Ct);

        var results = await ConvertAllAsync(plan!);

        Assert.Equal(5, results.Length);
        var errors = results.Select(r => r.Error).ToArray();
        Assert.True(errors[0] is not null && errors[3] is not null && errors.Count(e => e is not null) == 2, string.Join(" | ", errors));
        Assert.Equal(oneProcess.Message, errors[0]);
        var file = new Url(path).Value;
        Assert.StartsWith($"{file}:{spoiled[0].Location}: {spoiled[0].Problem}", errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"{file}:{spoiled[1].Location}: {spoiled[1].Problem}", errors[3], StringComparison.Ordinal);
        if (change == "box-outside")
        {
            Assert.Contains("lies outside the", errors[0], StringComparison.Ordinal);
        }
        Assert.Null(results[0].File);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(CocoImageCases))]
    public async Task ConvertCoco_BadImage_SkipPolicy_QuarantinesExactlyTheBadImages_RestEqualsCleanedSource(string change, bool validateImages,
        bool validateBoxes)
    {
        var spoiled = new List<(string Location, string Problem)>();
        var path = WriteCocoSource((json, folder) => spoiled.AddRange(BadImages.Select(i => SpoilCoco(change, json, folder, i))));
        var (plan, _) = await ImportJobs.PlanCocoAsync(path, null, Coco("job", validateImages, validateBoxes), "job-cs",
            new ImportJobOptions { ImagesPerChunk = 2, ErrorPolicy = ImportErrorPolicy.Skip }, Ct);

        var (table, quarantine) = await PublishWithQuarantineAsync(plan!, await ConvertAllAsync(plan!));

        using (table)
        using (quarantine)
        {
            Assert.True(BadImages.Select(i => (long)i).SequenceEqual(quarantine.Rows.Select(r => (long)r["row"]!)), Describe(quarantine));
            for (var k = 0; k < BadImages.Length; k++)
            {
                var row = quarantine.Rows[k];
                Assert.Equal(new Url(path).Value, row["file"]);
                Assert.Null(row["line"]);
                Assert.Equal(spoiled[k].Location, row["column"]);
                Assert.StartsWith(spoiled[k].Problem, (string)row["reason"]!, StringComparison.Ordinal);
            }
            // The same source without the bad images (and their annotations), imported in one process, beside the original.
            var clean = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var images = clean["images"]!.AsArray();
            var badIds = BadImages.Select(i => (long)images[i]!["id"]!).ToHashSet();
            clean["images"] = new JsonArray(images.Where(i => !badIds.Contains((long)i!["id"]!)).Select(i => i!.DeepClone()).ToArray());
            clean["annotations"] = new JsonArray(clean["annotations"]!.AsArray().Where(a => !badIds.Contains((long)a!["image_id"]!))
                .Select(a => a!.DeepClone()).ToArray());
            var cleanPath = Path.Combine(Path.GetDirectoryName(path)!, "clean.json");
            File.WriteAllText(cleanPath, clean.ToJsonString());
            using var expected = await Table.FromCocoAsync(cleanPath, null, Coco("clean", validateImages, validateBoxes), Ct);
            Assert.Equal(7, table.RowCount);
            AssertSameTable(expected, table);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task ConvertCoco_TwoBadAnnotationsOfOneImage_SkipPolicy_ListsTheImageOnceWithItsFirstError()
    {
        var path = WriteCocoSource((json, _) =>
        {
            var a = FirstAnnotationOf(json, 2);
            json["annotations"]![a]!["category_id"] = 42;
            json["annotations"]![a + 1]!["bbox"]![2] = -1.0;
        });
        var (plan, _) = await ImportJobs.PlanCocoAsync(path, null, Coco("job"), "job-c2", new ImportJobOptions { ImagesPerChunk = 4, ErrorPolicy = ImportErrorPolicy.Skip }, Ct);

        var (table, quarantine) = await PublishWithQuarantineAsync(plan!, await ConvertAllAsync(plan!));

        using (table)
        using (quarantine)
        {
            var row = Assert.Single(quarantine.Rows);
            Assert.Equal(2L, row["row"]);
            Assert.Contains("unknown category_id 42", (string)row["reason"]!, StringComparison.Ordinal);
            Assert.Equal(8, table.RowCount);
            Assert.DoesNotContain(table.Rows, r => ((string)r["image"]!).EndsWith("c0-2011_000006.jpg", StringComparison.Ordinal));
        }
    }

    // ---------------------------------------------------------------- YOLO

    private YoloImportOptions Yolo(string table, bool validateBoxes = false) => new()
    {
        Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = table, ValidateBoxes = validateBoxes, IfExists = IfExists.Raise,
    };

    /// <summary>
    /// A YOLO layout of 12 real Fashion-MNIST PNGs <c>images/NNN.png</c> (row i is image i) with label files of 1 or 2
    /// boxes; every fifth image has no label file (a background image). Returns the images folder.
    /// </summary>
    private string WriteYoloSource()
    {
        var folder = Path.GetDirectoryName(_root.File("yolo-src/images/x"))!;
        Directory.CreateDirectory(folder);
        var labels = Path.Combine(Path.GetDirectoryName(folder)!, "labels");
        Directory.CreateDirectory(labels);
        var pngs = Directory.GetDirectories(Fixtures.FashionMnistTestPngs).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal).Take(2)).ToList();
        for (var i = 0; i < 12; i++)
        {
            File.Copy(pngs[i % pngs.Count], Path.Combine(folder, $"{i:D3}.png"));
            if (i % 5 == 4)
            {
                continue;
            }
            var lines = Enumerable.Range(0, 1 + (i % 2)).Select(k => string.Create(CultureInfo.InvariantCulture,
                $"{(i + k) % 10} {0.3 + (0.05 * k):0.##} {0.4 + (0.02 * i):0.##} 0.2 0.3"));
            File.WriteAllLines(Path.Combine(labels, $"{i:D3}.txt"), lines);
        }
        return folder;
    }

    private static string LabelFile(string images, int i) => Path.Combine(Path.GetDirectoryName(images)!, "labels", $"{i:D3}.txt");

    private static string ImageFile(string images, int i) => Path.Combine(images, $"{i:D3}.png");

    /// <summary>
    /// Spoils image <paramref name="i"/> of the YOLO source; returns the file, line and column the quarantine names and the
    /// start of the problem.
    /// </summary>
    private static (string File, long? Line, string? Column, string Problem) SpoilYolo(string change, string images, int i)
    {
        var label = LabelFile(images, i);
        switch (change)
        {
            case "class-out-of-range":
                File.AppendAllLines(label, ["15 0.5 0.5 0.2 0.2"]);
                return (label, File.ReadAllLines(label).Length, null, "the class id 15 is outside the 10 categories (0..9)");
            case "box-outside":
                File.AppendAllLines(label, ["3 0.95 0.5 0.2 0.2"]);
                return (label, File.ReadAllLines(label).Length, null, "the box (cx 0.95, cy 0.5, w 0.2, h 0.2) reaches x 0.85..1.05");
            case "undecodable-image":
                File.WriteAllText(ImageFile(images, i), "not an image at all");
                return (ImageFile(images, i), null, "image", "not a readable image (its header cannot be decoded)");
            default:
                throw new ArgumentException(change);
        }
    }

    [Theory(Timeout = 120_000)]
    [InlineData("class-out-of-range", false)]
    [InlineData("box-outside", true)]
    [InlineData("undecodable-image", false)]
    public async Task ConvertYolo_BadImage_FailPolicy_ChunkErrorIsTheOneProcessMessage(string change, bool validateBoxes)
    {
        var images = WriteYoloSource();
        var spoiled = BadImages.Select(i => SpoilYolo(change, images, i)).ToList();
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromYoloUrlAsync(images, FashionClasses, Yolo("single", validateBoxes), Ct));
        var (plan, _) = await ImportJobs.PlanYoloAsync(images, FashionClasses, Yolo("job", validateBoxes), "job-yf", new ImportJobOptions { ImagesPerChunk = 4 }, Ct);

        var results = await ConvertAllAsync(plan!);

        var errors = results.Select(r => r.Error).ToArray();
        Assert.True(errors.Length == 3 && errors[0] is not null && errors[1] is not null && errors[2] is null, string.Join(" | ", errors));
        Assert.Equal(oneProcess.Message, errors[0]);
        for (var k = 0; k < 2; k++)
        {
            var (file, line, _, problem) = spoiled[k];
            var location = line is { } n ? $":line {n}" : "";
            Assert.StartsWith($"{new Url(file).Value}{location}: {problem}", errors[k], StringComparison.Ordinal);
        }
    }

    [Theory(Timeout = 120_000)]
    [InlineData("class-out-of-range", false)]
    [InlineData("box-outside", true)]
    [InlineData("undecodable-image", false)]
    public async Task ConvertYolo_BadImage_SkipPolicy_QuarantinesExactlyTheBadImages_RestEqualsCleanedSource(string change, bool validateBoxes)
    {
        var images = WriteYoloSource();
        var spoiled = BadImages.Select(i => SpoilYolo(change, images, i)).ToList();
        var (plan, _) = await ImportJobs.PlanYoloAsync(images, FashionClasses, Yolo("job", validateBoxes), "job-ys",
            new ImportJobOptions { ImagesPerChunk = 4, ErrorPolicy = ImportErrorPolicy.Skip }, Ct);

        var (table, quarantine) = await PublishWithQuarantineAsync(plan!, await ConvertAllAsync(plan!));

        using (table)
        using (quarantine)
        {
            Assert.True(BadImages.Select(i => (long)i).SequenceEqual(quarantine.Rows.Select(r => (long)r["row"]!)), Describe(quarantine));
            for (var k = 0; k < BadImages.Length; k++)
            {
                var row = quarantine.Rows[k];
                Assert.Equal(new Url(spoiled[k].File).Value, row["file"]);
                Assert.Equal(spoiled[k].Line, (long?)row["line"]);
                Assert.Equal(spoiled[k].Column, row["column"]);
                Assert.StartsWith(spoiled[k].Problem, (string)row["reason"]!, StringComparison.Ordinal);
            }
            // The same folder without the bad images and their label files, imported in one process.
            foreach (var i in BadImages)
            {
                File.Delete(ImageFile(images, i));
                File.Delete(LabelFile(images, i));
            }
            using var expected = await Table.FromYoloUrlAsync(images, FashionClasses, Yolo("clean", validateBoxes), Ct);
            Assert.Equal(10, table.RowCount);
            AssertSameTable(expected, table);
        }
    }

    [Theory(Timeout = 120_000)]
    [InlineData(ImportErrorPolicy.Fail)]
    [InlineData(ImportErrorPolicy.Skip)]
    public async Task ConvertYolo_MissingLabelFile_IsABackgroundImageNotAnError(ImportErrorPolicy policy)
    {
        var images = WriteYoloSource();
        File.Delete(LabelFile(images, 6));
        using var expected = await Table.FromYoloUrlAsync(images, FashionClasses, Yolo("single", validateBoxes: true), Ct);
        var (plan, _) = await ImportJobs.PlanYoloAsync(images, FashionClasses, Yolo("job", validateBoxes: true), "job-ym",
            new ImportJobOptions { ImagesPerChunk = 4, ErrorPolicy = policy }, Ct);

        var results = await ConvertAllAsync(plan!);

        Assert.All(results, r => Assert.Null(r.Error));
        Assert.All(results, r => Assert.Null(r.Quarantine));
        var (table, quarantine) = await PublishWithQuarantineAsync(plan!, results);
        using (table)
        using (quarantine)
        {
            Assert.Equal(12, table.RowCount);
            Assert.Empty(((BoundingBoxes2D)table[6]["bbs"]!).Boxes);
            Assert.Empty(((BoundingBoxes2D)table[4]["bbs"]!).Boxes);
            AssertSameTable(expected, table);
            Assert.Equal(0, quarantine.RowCount);
        }
    }

    // ---------------------------------------------------------------- image folders

    private ImageFolderImportOptions ImageFolder(string table) => new()
    {
        Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = table, ValidateImages = true, IfExists = IfExists.Raise,
    };

    /// <summary>4 real Fashion-MNIST PNGs of each of the first 3 classes; returns the folder and the images in row order.</summary>
    private (string Folder, List<string> Images) WriteImageFolder()
    {
        var folder = Path.GetDirectoryName(_root.File("folder-src/x"))!;
        var rows = new List<string>();
        foreach (var cls in Directory.GetDirectories(Fixtures.FashionMnistTestPngs).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(3))
        {
            Directory.CreateDirectory(Path.Combine(folder, cls!));
            foreach (var png in Directory.GetFiles(Path.Combine(Fixtures.FashionMnistTestPngs, cls!)).Order(StringComparer.Ordinal).Take(4))
            {
                var to = Path.Combine(folder, cls!, Path.GetFileName(png));
                File.Copy(png, to);
                rows.Add(to);
            }
        }
        return (folder, rows);
    }

    [Theory(Timeout = 120_000)]
    [InlineData(ImportErrorPolicy.Fail)]
    [InlineData(ImportErrorPolicy.Skip)]
    public async Task ConvertImageFolder_UndecodableImageWithValidateImages_FailNamesTheImage_SkipQuarantinesExactlyIt(ImportErrorPolicy policy)
    {
        var (folder, rows) = WriteImageFolder();
        int[] bad = [1, 10];
        foreach (var i in bad)
        {
            File.WriteAllText(rows[i], "not an image at all");
        }
        var (plan, _) = await ImportJobs.PlanImageFolderAsync(folder, ImageFolder("job"), "job-if", new ImportJobOptions { ImagesPerChunk = 3, ErrorPolicy = policy }, Ct);

        var results = await ConvertAllAsync(plan!);

        if (policy == ImportErrorPolicy.Fail)
        {
            var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromImageFolderAsync(folder, ImageFolder("single"), Ct));
            var errors = results.Select(r => r.Error).ToArray();
            Assert.True(errors.Length == 4 && errors[0] is not null && errors[3] is not null && errors.Count(e => e is not null) == 2, string.Join(" | ", errors));
            Assert.Equal(oneProcess.Message, errors[0]);
            Assert.Equal($"{new Url(rows[1]).Value}: not a readable image (its header cannot be decoded)", errors[0]);
            Assert.Equal($"{new Url(rows[10]).Value}: not a readable image (its header cannot be decoded)", errors[3]);
            return;
        }
        var (table, quarantine) = await PublishWithQuarantineAsync(plan!, results);
        using (table)
        using (quarantine)
        {
            Assert.True(bad.Select(i => (long)i).SequenceEqual(quarantine.Rows.Select(r => (long)r["row"]!)), Describe(quarantine));
            for (var k = 0; k < bad.Length; k++)
            {
                Assert.Equal(new Url(rows[bad[k]]).Value, quarantine.Rows[k]["file"]);
                Assert.Null(quarantine.Rows[k]["line"]);
                Assert.Equal("image", quarantine.Rows[k]["column"]);
                Assert.Equal("not a readable image (its header cannot be decoded)", quarantine.Rows[k]["reason"]);
            }
            foreach (var i in bad)
            {
                File.Delete(rows[i]);
            }
            using var expected = await Table.FromImageFolderAsync(folder, ImageFolder("clean"), Ct);
            Assert.Equal(10, table.RowCount);
            AssertSameTable(expected, table);
        }
    }
}
