using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.DataTypes;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Urls;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

public sealed class ImportJobsCocoTests : IDisposable
{
    private readonly TempRoot _root = new("import-jobs-coco");

    public void Dispose() => _root.Dispose();

    private CocoImportOptions Options(string table, CocoTask task = CocoTask.Segment, bool crowd = false, bool validate = false) => new()
    {
        Root = _root.Url,
        Settings = _root.Settings,
        Project = "p",
        Dataset = "d",
        Table = table,
        Task = task,
        IncludeIsCrowd = crowd,
        ValidateImages = validate,
    };

    /// <summary>
    /// The labelme annotations grown to <paramref name="copies"/> copies of its 3 images (ids descending, not in file
    /// order) with their annotations shuffled across the file; every 5th annotation is a crowd with an RLE mask (COCO's
    /// compressed string), and with <paramref name="plainRle"/> every 7th non-crowd one has an RLE (counts list) instead
    /// of polygons. <paramref name="change"/> may alter the result.
    /// </summary>
    private string WriteCoco(int copies, bool plainRle, Action<JsonObject>? change = null)
    {
        return VisionTestData.WriteCoco(_root, json =>
        {
            var images = json["images"]!.AsArray().Select(i => i!.AsObject()).ToList();
            var annotations = json["annotations"]!.AsArray().Select(a => a!.AsObject()).ToList();
            var newImages = new JsonArray();
            var newAnnotations = new List<JsonObject>();
            var annotationId = 1;
            for (var c = 0; c < copies; c++)
            {
                foreach (var image in images)
                {
                    var id = 100_000 - 7 * newImages.Count;
                    var copy = image.DeepClone().AsObject();
                    copy["id"] = id;
                    newImages.Add(copy);
                    var (w, h) = ((int)image["width"]!, (int)image["height"]!);
                    foreach (var annotation in annotations.Where(a => (long)a["image_id"]! == (long)image["id"]!))
                    {
                        var a = annotation.DeepClone().AsObject();
                        a["id"] = annotationId;
                        a["image_id"] = id;
                        if (annotationId % 5 == 0)
                        {
                            a["iscrowd"] = 1;
                            a["segmentation"] = new JsonObject
                            {
                                ["counts"] = Rle.ToCompressedString([w * h - 40 - annotationId, 40, annotationId]),
                                ["size"] = new JsonArray(h, w),
                            };
                        }
                        else if (plainRle && annotationId % 7 == 0)
                        {
                            a["segmentation"] = new JsonObject
                            {
                                ["counts"] = new JsonArray(w * h - 25, 25),
                                ["size"] = new JsonArray(h, w),
                            };
                        }
                        newAnnotations.Add(a);
                        annotationId++;
                    }
                }
            }
            var random = new Random(42);
            var shuffled = newAnnotations.OrderBy(_ => random.Next()).ToArray();
            json["images"] = newImages;
            json["annotations"] = new JsonArray(shuffled);
            change?.Invoke(json);
        }, $"coco/annotations-{copies}-{plainRle}-{change is null}.json");
    }

    [Fact(Timeout = 120_000)]
    public async Task PlanConvertPublish_Labelme_OneImagePerChunk_SameTableAsOneProcessImport_SideFilesDeletedAfter()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = _root.File("coco/labelme.json");
        File.Copy(VisionTestData.LabelmeAnnotations, file);
        using var expected = await Table.FromCocoAsync(file, Fixtures.LabelmeCoco, Options("single", validate: true), ct);

        var (plan, existing) = await ImportJobs.PlanCocoAsync(file, Fixtures.LabelmeCoco, Options("chunked", validate: true), "job-c1",
            new ImportJobOptions { ImagesPerChunk = 1 }, ct);

        Assert.Null(existing);
        Assert.Equal("coco", plan!.Spec.Format);
        Assert.Equal(3, plan.Chunks.Count);
        var sideFiles = plan.Chunks.Select(c => new Url((string)JsonNode.Parse(c.Descriptor)!["plan_file"]!).LocalPath).ToArray();
        Assert.All(plan.Chunks.Zip(sideFiles), p => Assert.Equal(new FileInfo(p.Second).Length, p.First.Bytes));
        Assert.Equal(12, plan.Chunks.Sum(c => (int)JsonNode.Parse(c.Descriptor)!["annotations"]!));

        // Conversion reads the side files, not the annotation file.
        File.Delete(file);
        using (var actual = await ConvertAndPublishAsync(plan, _root))
        {
            AssertSameTable(expected, actual);
            Assert.Equal(expected.Object.Source!.ToJsonString(), actual.Object.Source!.ToJsonString());
        }

        await ImportJobs.DeletePlanFilesAsync(plan.Spec, new UrlAdapterRegistry(), ct);
        Assert.All(sideFiles, f => Assert.False(File.Exists(f)));
        Assert.False(Directory.Exists(Path.GetDirectoryName(sideFiles[0])));
        using var reopened = await Table.OpenAsync(plan.Spec.TableUrl, cancellationToken: ct);
        Assert.Equal(expected.ContentHash(), reopened.ContentHash());
    }

    [Theory(Timeout = 120_000)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task PlanConvertPublish_ShuffledAnnotationsWithRle_SameTableAsOneProcessImport(bool includeCrowd, bool plainRle)
    {
        var ct = TestContext.Current.CancellationToken;
        var file = WriteCoco(20, plainRle);
        using var expected = await Table.FromCocoAsync(file, Fixtures.LabelmeCoco, Options("single", crowd: includeCrowd), ct);

        var (plan, _) = await ImportJobs.PlanCocoAsync(file, Fixtures.LabelmeCoco, Options("chunked", crowd: includeCrowd), "job-c2",
            new ImportJobOptions { ImagesPerChunk = 7 }, ct);

        Assert.Equal(9, plan!.Chunks.Count);
        Assert.Equal(includeCrowd || plainRle, expected.Schema.Contains("masks"));
        var descriptors = plan.Chunks.Select(c => JsonNode.Parse(c.Descriptor)!).ToArray();
        Assert.Equal(Enumerable.Range(0, 9).Select(i => i * 7), descriptors.Select(d => (int)d["first_image"]!));
        Assert.Equal(100_000L, (long)descriptors[0]["first_image_id"]!);
        Assert.Equal(100_000L - 7 * 59, (long)descriptors[^1]["last_image_id"]!);
        using var actual = await ConvertAndPublishAsync(plan, _root);
        Assert.Equal(60, actual.RowCount);
        AssertSameTable(expected, actual);
    }

    [Fact(Timeout = 120_000)]
    public async Task Convert_BadBoxInOneChunk_ErrorNamesFileAndAnnotationAsTheOneProcessImport_NothingStaged()
    {
        var ct = TestContext.Current.CancellationToken;
        var badId = 0;
        var file = WriteCoco(10, plainRle: false, json =>
        {
            // An annotation of image 16 (chunk 3 of 5) gets a box of zero width.
            var imageId = (int)json["images"]![16]!["id"]!;
            var annotation = json["annotations"]!.AsArray().First(a => (int)a!["image_id"]! == imageId)!;
            annotation["bbox"]![2] = 0;
            badId = (int)annotation["id"]!;
        });
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromCocoAsync(file, Fixtures.LabelmeCoco, Options("single"), ct));
        var (plan, _) = await ImportJobs.PlanCocoAsync(file, Fixtures.LabelmeCoco, Options("bad"), "job-c3", new ImportJobOptions { ImagesPerChunk = 6 }, ct);

        var results = await ConvertAsync(plan!, _root);

        var failed = Assert.Single(results, r => r.Error is not null);
        Assert.Equal(2, System.Array.IndexOf(results, failed));
        Assert.Contains(new Url(file).Value, failed.Error);
        Assert.Contains($"annotation id {badId}", failed.Error);
        Assert.Contains("zero size", failed.Error);
        Assert.Equal(oneProcess.Message, failed.Error);
        Assert.Null(failed.File);
        Assert.Equal(results.Length - 1, StagedFiles(plan!).Length);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_AnnotationOfUnknownImage_FailsAsTheOneProcessImport_NoSideFilesLeft()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = WriteCoco(2, plainRle: false, json => json["annotations"]![3]!["image_id"] = 424242);
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromCocoAsync(file, Fixtures.LabelmeCoco, Options("single"), ct));

        var e = await Assert.ThrowsAsync<ImportException>(() =>
            ImportJobs.PlanCocoAsync(file, Fixtures.LabelmeCoco, Options("unknown"), "job-c4", new ImportJobOptions { ImagesPerChunk = 1 }, ct));

        Assert.Equal(oneProcess.Message, e.Message);
        Assert.Contains("annotations[3]", e.Message);
        Assert.Contains("unknown image_id 424242", e.Message);
        Assert.False(Directory.Exists(Path.Combine(ImportTestSupport.TableFolder(_root, "unknown"), ImportJobs.PlanFolderName)));
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_ExistingTable_ReuseReturnsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var first = await Table.FromCocoAsync(VisionTestData.LabelmeAnnotations, null, Options("exists"), ct);

        var (plan, existing) = await ImportJobs.PlanCocoAsync(VisionTestData.LabelmeAnnotations, null, Options("exists"), "job-c5", cancellationToken: ct);

        Assert.Null(plan);
        using (existing)
        {
            Assert.Equal(first.Url, existing!.Url);
        }
        Assert.False(Directory.Exists(Path.Combine(first.Url.LocalPath, ImportJobs.PlanFolderName)));
    }
}
