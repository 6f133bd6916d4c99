using System.Text.Json.Nodes;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Urls;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

public sealed class ImportJobsImageFolderTests : IDisposable
{
    private readonly TempRoot _root = new("import-jobs-imgfolder");

    public void Dispose() => _root.Dispose();

    private ImageFolderImportOptions Options(string table, bool validate = false) => new()
    {
        Root = _root.Url,
        Settings = _root.Settings,
        Project = "p",
        Dataset = "d",
        Table = table,
        ValidateImages = validate,
    };

    /// <summary>
    /// A copy of <paramref name="perClass"/> real Fashion-MNIST PNGs of each of the first <paramref name="classes"/> classes;
    /// the first class also gets a nested sub-folder with two more (rows follow the path below the class folder).
    /// </summary>
    private string CopyFolder(int classes, int perClass)
    {
        var folder = _root.File("images/root/x");
        folder = Path.GetDirectoryName(folder)!;
        var names = Directory.GetDirectories(Fixtures.FashionMnistTestPngs).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(classes).ToList();
        foreach (var cls in names)
        {
            var target = Path.Combine(folder, cls!);
            Directory.CreateDirectory(target);
            foreach (var png in Directory.GetFiles(Path.Combine(Fixtures.FashionMnistTestPngs, cls!)).Order(StringComparer.Ordinal).Take(perClass))
            {
                File.Copy(png, Path.Combine(target, Path.GetFileName(png)));
            }
        }
        var nested = Path.Combine(folder, names[0]!, "more");
        Directory.CreateDirectory(nested);
        foreach (var png in Directory.GetFiles(Path.Combine(Fixtures.FashionMnistTestPngs, names[0]!)).Order(StringComparer.Ordinal).Skip(perClass).Take(2))
        {
            File.Copy(png, Path.Combine(nested, Path.GetFileName(png)));
        }
        return folder;
    }

    private static string[] SideFiles(ImportPlan plan) =>
        plan.Chunks.Select(c => new Url((string)JsonNode.Parse(c.Descriptor)!["plan_file"]!).LocalPath).ToArray();

    [Fact(Timeout = 120_000)]
    public async Task PlanConvertPublish_FourImagesPerChunk_SameTableAsOneProcessImport_SideFilesDeletedAfter()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = CopyFolder(classes: 5, perClass: 7);
        using var expected = await Table.FromImageFolderAsync(folder, Options("single", validate: true), ct);

        var (plan, existing) = await ImportJobs.PlanImageFolderAsync(folder, Options("chunked", validate: true), "job-if1",
            new ImportJobOptions { ImagesPerChunk = 4 }, ct);

        Assert.Null(existing);
        Assert.Equal("image-folder", plan!.Spec.Format);
        Assert.Equal(37, expected.RowCount);
        Assert.Equal(10, plan.Chunks.Count);
        var descriptors = plan.Chunks.Select(c => JsonNode.Parse(c.Descriptor)!).ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 4), descriptors.Select(d => (int)d["first_file"]!));
        Assert.Equal([4, 4, 4, 4, 4, 4, 4, 4, 4, 1], descriptors.Select(d => (int)d["files"]!));
        // A chunk's bytes are its images' sizes; the file list lives in the side file, not in the job's state.
        var files = expected.Rows.Select(r => expected.ResolveUrl((string)r["image"]!).LocalPath).ToArray();
        Assert.Equal(files.Sum(f => new FileInfo(f).Length), plan.Chunks.Sum(c => c.Bytes));
        Assert.Equal(files.Take(4).Sum(f => new FileInfo(f).Length), plan.Chunks[0].Bytes);
        Assert.DoesNotContain(".png", plan.Spec.ConversionJson + string.Concat(plan.Chunks.Select(c => c.Descriptor)), StringComparison.Ordinal);
        var sideFiles = SideFiles(plan);
        Assert.All(sideFiles, f => Assert.Matches(@"[/\\]_plan[/\\]job-if1[/\\]files-\d{5}\.json$", f));

        // The plan fixed the list: an image added after planning is not imported.
        File.Copy(files[0], Path.Combine(folder, Path.GetFileName(Path.GetDirectoryName(files[0]))!, "zzz-late.png"));
        using (var actual = await ConvertAndPublishAsync(plan, _root))
        {
            AssertSameTable(expected, actual);
            Assert.Equal(expected.Object.Source!.ToJsonString(), actual.Object.Source!.ToJsonString());
            Assert.Equal(10, actual.Object.Chunks.Count);
        }

        await ImportJobs.DeletePlanFilesAsync(plan.Spec, new UrlAdapterRegistry(), ct);
        Assert.All(sideFiles, f => Assert.False(File.Exists(f)));
        Assert.False(Directory.Exists(Path.Combine(ImportTestSupport.TableFolder(_root, "chunked"), ImportJobs.PlanFolderName)));
        using var reopened = await Table.OpenAsync(plan.Spec.TableUrl, cancellationToken: ct);
        Assert.Equal(expected.ContentHash(), reopened.ContentHash());
    }

    [Fact(Timeout = 120_000)]
    public async Task PlanConvertPublish_TenThousandFashionMnistPngs_SameTableAsOneProcessImport()
    {
        var ct = TestContext.Current.CancellationToken;
        using var expected = await Table.FromImageFolderAsync(Fixtures.FashionMnistTestPngs, Options("single"), ct);

        var (plan, _) = await ImportJobs.PlanImageFolderAsync(Fixtures.FashionMnistTestPngs, Options("chunked"), "job-if2",
            new ImportJobOptions { ImagesPerChunk = 1500 }, ct);

        Assert.Equal(7, plan!.Chunks.Count);
        Assert.Equal(1000, (int)JsonNode.Parse(plan.Chunks[^1].Descriptor)!["files"]!);
        using var actual = await ConvertAndPublishAsync(plan, _root);
        Assert.Equal(10_000, actual.RowCount);
        AssertSameTable(expected, actual);
    }

    [Fact(Timeout = 120_000)]
    public async Task Convert_UnreadableImageWithValidation_FailsItsChunkWithTheOneProcessMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = CopyFolder(classes: 3, perClass: 5);
        // Second class, third file in order: row 7 + 2 = 9 of 18, in chunk 3 (pages of 3).
        var cls = Directory.GetDirectories(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ElementAt(1)!;
        var broken = Path.Combine(folder, cls, Path.GetFileName(Directory.GetFiles(Path.Combine(folder, cls)).Order(StringComparer.Ordinal).ElementAt(1)) + "-broken.png");
        File.WriteAllBytes(broken, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromImageFolderAsync(folder, Options("single", validate: true), ct));

        var (plan, _) = await ImportJobs.PlanImageFolderAsync(folder, Options("bad", validate: true), "job-if3", new ImportJobOptions { ImagesPerChunk = 3 }, ct);
        var results = await ConvertAsync(plan!, _root);

        Assert.Equal(6, results.Length);
        var failed = Assert.Single(results, r => r.Error is not null);
        Assert.Equal(3, System.Array.IndexOf(results, failed));
        Assert.Equal(oneProcess.Message, failed.Error);
        Assert.Contains(new Url(broken).Value, failed.Error, StringComparison.Ordinal);
        Assert.Contains("not a readable image", failed.Error, StringComparison.Ordinal);
        Assert.Null(failed.File);
        Assert.Equal(5, StagedFiles(plan!).Length);

        // Without validation the one-process import lists it, and so do the chunks.
        var (lenient, _) = await ImportJobs.PlanImageFolderAsync(folder, Options("lenient"), "job-if4", new ImportJobOptions { ImagesPerChunk = 3 }, ct);
        using var table = await ConvertAndPublishAsync(lenient!, _root);
        Assert.Contains(table.Rows, r => table.ResolveUrl((string)r["image"]!).Value == new Url(broken).Value);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_ClassFoldersWithoutImages_OneEmptyChunk_SameEmptyTableAsOneProcessImport()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.GetDirectoryName(_root.File("empty/root/x"))!;
        Directory.CreateDirectory(Path.Combine(folder, "cat"));
        Directory.CreateDirectory(Path.Combine(folder, "dog"));
        File.WriteAllText(Path.Combine(folder, "dog", "notes.txt"), "not an image");
        using var expected = await Table.FromImageFolderAsync(folder, Options("single"), ct);

        var (plan, _) = await ImportJobs.PlanImageFolderAsync(folder, Options("chunked"), "job-if5", new ImportJobOptions { ImagesPerChunk = 2 }, ct);

        var chunk = Assert.Single(plan!.Chunks);
        Assert.Equal(0, (int)JsonNode.Parse(chunk.Descriptor)!["files"]!);
        using var actual = await ConvertAndPublishAsync(plan, _root);
        Assert.Equal(0, actual.RowCount);
        AssertSameTable(expected, actual);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_NoClassFolders_FailsAsTheOneProcessImport_NoSideFilesLeft()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.GetDirectoryName(_root.File("flat/root/a.png"))!;
        File.Copy(Directory.GetFiles(Path.Combine(Fixtures.FashionMnistTestPngs, "Bag")).Order(StringComparer.Ordinal).First(), Path.Combine(folder, "a.png"));
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromImageFolderAsync(folder, Options("single"), ct));

        var e = await Assert.ThrowsAsync<ImportException>(() => ImportJobs.PlanImageFolderAsync(folder, Options("flat"), "job-if6", cancellationToken: ct));

        Assert.Equal(oneProcess.Message, e.Message);
        Assert.Contains("no class sub-folders", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ImportTestSupport.TableFolder(_root, "flat")));
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_ExistingTable_ReuseReturnsIt_NoSideFiles()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = CopyFolder(classes: 2, perClass: 2);
        using var first = await Table.FromImageFolderAsync(folder, Options("exists"), ct);

        var (plan, existing) = await ImportJobs.PlanImageFolderAsync(folder, Options("exists"), "job-if7", cancellationToken: ct);

        Assert.Null(plan);
        using (existing)
        {
            Assert.Equal(first.Url, existing!.Url);
        }
        Assert.False(Directory.Exists(Path.Combine(first.Url.LocalPath, ImportJobs.PlanFolderName)));
    }
}
