using System.Globalization;
using System.Text.Json.Nodes;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Urls;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

public sealed class ImportJobsYoloTests : IDisposable
{
    private readonly TempRoot _root = new("import-jobs-yolo");

    public void Dispose() => _root.Dispose();

    private static readonly string[] FashionClasses =
        ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"];

    private YoloImportOptions Options(string table, YoloTask task = YoloTask.Detect, int? keypoints = null, bool validateBoxes = false) => new()
    {
        ValidateBoxes = validateBoxes,
        Root = _root.Url,
        Settings = _root.Settings,
        Project = "p",
        Dataset = "d",
        Table = table,
        Task = task,
        NumKeypoints = keypoints,
    };

    /// <summary>
    /// A YOLO layout of <paramref name="count"/> real Fashion-MNIST PNGs under <c>images/a</c> and <c>images/b</c> (alternating),
    /// with label files made for <paramref name="task"/> under <c>labels/</c>: image i has i % 4 objects of class (i + k) % 10;
    /// every eighth image has no label file, the others with no objects an empty one. Returns the images folder.
    /// </summary>
    private string WriteYolo(int count, YoloTask task)
    {
        var folder = Path.GetDirectoryName(_root.File($"yolo-{task}/images/x"))!;
        var pngs = Directory.GetDirectories(Fixtures.FashionMnistTestPngs).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal).Take(3)).ToList();
        var random = new Random(7);
        string N(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
        for (var i = 0; i < count; i++)
        {
            var relative = $"{(i % 2 == 0 ? "a" : "b")}/{i:D3}-{Path.GetFileName(pngs[i % pngs.Count])}";
            var image = Path.Combine(folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(image)!);
            File.Copy(pngs[i % pngs.Count], image);
            if (i % 8 == 0)
            {
                continue;
            }
            var lines = new List<string>();
            for (var k = 0; k < i % 4; k++)
            {
                var (cx, cy, w, h) = (0.3 + (0.4 * random.NextDouble()), 0.3 + (0.4 * random.NextDouble()), 0.05 + (0.2 * random.NextDouble()), 0.05 + (0.2 * random.NextDouble()));
                var cls = ((i + k) % 10).ToString(CultureInfo.InvariantCulture);
                lines.Add(task switch
                {
                    YoloTask.Detect => $"{cls} {N(cx)} {N(cy)} {N(w)} {N(h)}",
                    YoloTask.Segment => $"{cls} {N(cx - w / 2)} {N(cy - h / 2)} {N(cx + w / 2)} {N(cy - h / 2)} {N(cx)} {N(cy + h / 2)}" + (k % 2 == 1 ? $" {N(cx - w / 3)} {N(cy)}" : ""),
                    _ => $"{cls} {N(cx)} {N(cy)} {N(w)} {N(h)} {N(cx - w / 4)} {N(cy)} {(i + k) % 3} {N(cx + w / 4)} {N(cy)} 2",
                });
            }
            var label = Path.Combine(Path.GetDirectoryName(folder)!, "labels", Path.ChangeExtension(relative, ".txt"));
            Directory.CreateDirectory(Path.GetDirectoryName(label)!);
            File.WriteAllLines(label, lines);
        }
        return folder;
    }

    private static string[] SideFiles(ImportPlan plan) =>
        plan.Chunks.Select(c => new Url((string)JsonNode.Parse(c.Descriptor)!["plan_file"]!).LocalPath).ToArray();

    [Theory(Timeout = 120_000)]
    [InlineData(YoloTask.Detect)]
    [InlineData(YoloTask.Segment)]
    [InlineData(YoloTask.Pose)]
    public async Task PlanConvertPublish_FashionMnistPngs_FiveImagesPerChunk_SameTableAsOneProcessImport_SideFilesDeletedAfter(YoloTask task)
    {
        var ct = TestContext.Current.CancellationToken;
        var images = WriteYolo(22, task);
        var keypoints = task == YoloTask.Pose ? 2 : (int?)null;
        using var expected = await Table.FromYoloUrlAsync(images, FashionClasses, Options("single", task, keypoints), ct);

        var (plan, existing) = await ImportJobs.PlanYoloAsync(images, FashionClasses, Options("chunked", task, keypoints), "job-y1",
            new ImportJobOptions { ImagesPerChunk = 5 }, ct);

        Assert.Null(existing);
        Assert.Equal("yolo", plan!.Spec.Format);
        Assert.Equal(22, expected.RowCount);
        Assert.Equal(5, plan.Chunks.Count);
        Assert.Equal([5, 5, 5, 5, 2], plan.Chunks.Select(c => (int)JsonNode.Parse(c.Descriptor)!["files"]!));
        Assert.Equal(Directory.GetFiles(images, "*.png", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length), plan.Chunks.Sum(c => c.Bytes));
        var sideFiles = SideFiles(plan);
        Assert.All(sideFiles, f => Assert.True(File.Exists(f), f));
        using (var actual = await ConvertAndPublishAsync(plan, _root))
        {
            AssertSameTable(expected, actual);
            Assert.Equal(expected.Object.Source!.ToJsonString(), actual.Object.Source!.ToJsonString());
        }

        await ImportJobs.DeletePlanFilesAsync(plan.Spec, new UrlAdapterRegistry(), ct);
        Assert.All(sideFiles, f => Assert.False(File.Exists(f)));
        Assert.False(Directory.Exists(Path.Combine(ImportTestSupport.TableFolder(_root, "chunked"), ImportJobs.PlanFolderName)));
    }

    [Theory(Timeout = 120_000)]
    [InlineData("detect", YoloTask.Detect)]
    [InlineData("segment", YoloTask.Segment)]
    public async Task PlanConvertPublish_LabelmeFixture_OneFilePerChunk_SameTableAsOneProcessImport(string layout, YoloTask task)
    {
        var ct = TestContext.Current.CancellationToken;
        var images = VisionTestData.CopyYolo(_root, layout);
        using var expected = await Table.FromYoloUrlAsync(images, Fixtures.YoloCategories, Options("single", task), ct);

        var (plan, _) = await ImportJobs.PlanYoloAsync(images, Fixtures.YoloCategories, Options("chunked", task), "job-y2",
            new ImportJobOptions { ImagesPerChunk = 1 }, ct);

        Assert.Equal(3, plan!.Chunks.Count);
        using var actual = await ConvertAndPublishAsync(plan, _root);
        Assert.Equal(3, actual.Object.Chunks.Count);
        AssertSameTable(expected, actual);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("15 0.5 0.6 0.2 0.3", "the class id 15 is outside the 10 categories (0..9)")]
    [InlineData("-1 0.5 0.6 0.2 0.3", "the class id -1 is outside the 10 categories")]
    [InlineData("3 0.5 0.6 0.2", "expected 5 fields (class cx cy w h), got 4")]
    [InlineData("3 0.5 0.6 0.2 0.3 0.4", "expected 5 fields (class cx cy w h), got 6")]
    [InlineData("3 0.5 0.6 1.2 0.3", "field 4 (1.2) is outside [0, 1]")]
    public async Task Convert_BadLabelLine_FailsItsChunkWithTheOneProcessMessage(string line, string problem)
    {
        var ct = TestContext.Current.CancellationToken;
        var images = WriteYolo(22, YoloTask.Detect);
        // Image 13 (b/013-…: row 11 + 6 = 17, in chunk 3 of pages of 5) has 1 object; the bad line becomes its line 2.
        var label = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(images)!, "labels"), "013-*.txt", SearchOption.AllDirectories).Single();
        File.AppendAllLines(label, [line]);
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromYoloUrlAsync(images, FashionClasses, Options("single"), ct));
        var (plan, _) = await ImportJobs.PlanYoloAsync(images, FashionClasses, Options("bad"), "job-y3", new ImportJobOptions { ImagesPerChunk = 5 }, ct);

        var results = await ConvertAsync(plan!, _root);

        var failed = Assert.Single(results, r => r.Error is not null);
        Assert.Equal(3, System.Array.IndexOf(results, failed));
        Assert.Equal(oneProcess.Message, failed.Error);
        Assert.Contains($"{new Url(label).Value}:line 2: {problem}", failed.Error, StringComparison.Ordinal);
        Assert.Null(failed.File);
        Assert.Equal(4, StagedFiles(plan!).Length);
    }

    [Fact(Timeout = 120_000)]
    public async Task Convert_BoxStickingOutOfTheImage_ValidateBoxes_FailsItsChunkWithTheOneProcessMessage_AcceptedWithout()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = WriteYolo(22, YoloTask.Detect);
        var label = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(images)!, "labels"), "013-*.txt", SearchOption.AllDirectories).Single();
        // Every number in [0, 1] (as Ultralytics requires), but the right edge is at 0.95 + 0.1 = 1.05.
        File.AppendAllLines(label, ["3 0.95 0.5 0.2 0.3"]);
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromYoloUrlAsync(images, FashionClasses, Options("single", validateBoxes: true), ct));
        var (plan, _) = await ImportJobs.PlanYoloAsync(images, FashionClasses, Options("checked", validateBoxes: true), "job-y-boxes",
            new ImportJobOptions { ImagesPerChunk = 5 }, ct);
        var (lenient, _) = await ImportJobs.PlanYoloAsync(images, FashionClasses, Options("lenient"), "job-y-lenient", new ImportJobOptions { ImagesPerChunk = 5 }, ct);

        var results = await ConvertAsync(plan!, _root);
        var accepted = await ConvertAsync(lenient!, _root);

        var failed = Assert.Single(results, r => r.Error is not null);
        Assert.Equal(3, System.Array.IndexOf(results, failed));
        Assert.Equal(oneProcess.Message, failed.Error);
        Assert.Contains($"{new Url(label).Value}:line 2: the box (cx 0.95, cy 0.5, w 0.2, h 0.3) reaches x 0.85..1.05", failed.Error, StringComparison.Ordinal);
        Assert.All(accepted, r => Assert.Null(r.Error));
    }

    [Fact(Timeout = 120_000)]
    public async Task Convert_UnreadableImage_FailsItsChunkWithTheOneProcessMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = WriteYolo(12, YoloTask.Detect);
        // Image 9 is b/009-…: row 6 + 4 = 10, in chunk 2 of pages of 4.
        var broken = Directory.GetFiles(images, "009-*.png", SearchOption.AllDirectories).Single();
        File.WriteAllBytes(broken, File.ReadAllBytes(broken)[..10]);
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromYoloUrlAsync(images, FashionClasses, Options("single"), ct));
        var (plan, _) = await ImportJobs.PlanYoloAsync(images, FashionClasses, Options("bad"), "job-y4", new ImportJobOptions { ImagesPerChunk = 4 }, ct);

        var results = await ConvertAsync(plan!, _root);

        var failed = Assert.Single(results, r => r.Error is not null);
        Assert.Equal(2, System.Array.IndexOf(results, failed));
        Assert.Equal(oneProcess.Message, failed.Error);
        Assert.Contains(new Url(broken).Value, failed.Error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_BadArgumentsOrNoImages_FailAsTheOneProcessImport_NoSideFilesLeft()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = WriteYolo(3, YoloTask.Detect);
        await Assert.ThrowsAsync<ArgumentException>(() => ImportJobs.PlanYoloAsync(images, [], Options("none"), "job-y5", cancellationToken: ct));
        await Assert.ThrowsAsync<ArgumentException>(() => ImportJobs.PlanYoloAsync(images, FashionClasses, Options("pose", YoloTask.Pose), "job-y5",
            cancellationToken: ct));

        var empty = Path.GetDirectoryName(_root.File("empty/images/x"))!;
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromYoloUrlAsync(empty, FashionClasses, Options("single"), ct));
        var e = await Assert.ThrowsAsync<ImportException>(() => ImportJobs.PlanYoloAsync(empty, FashionClasses, Options("empty"), "job-y5", cancellationToken: ct));

        Assert.Equal(oneProcess.Message, e.Message);
        Assert.Contains("no images in the folder", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ImportTestSupport.TableFolder(_root, "empty")));
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_ExistingTable_ReuseReturnsIt_NoSideFiles()
    {
        var ct = TestContext.Current.CancellationToken;
        var images = WriteYolo(3, YoloTask.Detect);
        using var first = await Table.FromYoloUrlAsync(images, FashionClasses, Options("exists"), ct);

        var (plan, existing) = await ImportJobs.PlanYoloAsync(images, FashionClasses, Options("exists"), "job-y6", cancellationToken: ct);

        Assert.Null(plan);
        using (existing)
        {
            Assert.Equal(first.Url, existing!.Url);
        }
        Assert.False(Directory.Exists(Path.Combine(first.Url.LocalPath, ImportJobs.PlanFolderName)));
    }
}
