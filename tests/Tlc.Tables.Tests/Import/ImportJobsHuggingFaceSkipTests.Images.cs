using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Urls;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

/// <summary>
/// <see cref="HuggingFaceImportOptions.ValidateImages"/>: a dataset with one embedded image whose PNG bytes are cut short
/// and one image stored by a path that does not exist. Off, both import as they are; on, the fail policy names the shard,
/// record batch, row and column of the first, and the skip policy quarantines exactly those two rows.
/// </summary>
public sealed partial class ImportJobsHuggingFaceSkipTests
{
    /// <summary>The first 24 bytes of a fixture PNG: the signature and part of the IHDR chunk, so no header can be read.</summary>
    private static byte[] TruncatedPng() => File.ReadAllBytes(Fixtures.Require("fashion-mnist-png/test/Coat/00006.png"))[..24];

    private static readonly Bad[] BadImages =
    [
        new(Shard0, 2, 3, r => r with { ImageNull = false, Bytes = TruncatedPng(), Path = null }, "image",
            "not a readable image (its header cannot be decoded): the embedded bytes (24 bytes)"),
        new(Shard1, 1, 2, r => r with { ImageNull = false, Bytes = null, Path = "images/missing.png" }, "image",
            "the image file is missing: "),
    ];

    private HuggingFaceImportOptions ImageOptions(string table, bool validate) => new()
    {
        Root = _root.Url,
        Settings = _root.Settings,
        Project = "p",
        Dataset = "d",
        Table = table,
        Schema = new Dictionary<string, ColumnSchema> { ["name"] = new StringSchema() },
        ValidateImages = validate,
    };

    [Fact(Timeout = 120_000)]
    public async Task Import_BadImages_ValidationOff_ImportsEveryRowInOneProcessAndAsJob()
    {
        var ct = TestContext.Current.CancellationToken;
        var mixed = WriteDataset("mixed", BadImages, dropBad: false);

        using var single = await Table.FromHuggingFaceAsync(mixed, ImageOptions("single", validate: false), ct);
        var (plan, _) = await ImportJobs.PlanHuggingFaceAsync(mixed, ImageOptions("job", validate: false), "hf-images-off",
            new ImportJobOptions { ChunkBytes = 1, ErrorPolicy = ImportErrorPolicy.Skip }, ct);
        var results = await ConvertAsync(plan!, _root);
        Assert.All(results, r => Assert.Null(r.Quarantine));
        var (job, quarantine) = await PublishWithQuarantineAsync(plan!, results);
        using var _ = job;
        using var __ = quarantine;

        Assert.Equal(0, quarantine.RowCount);
        Assert.Equal(46, single.RowCount);
        Assert.Equal(46, job.RowCount);
        // The row whose image is stored by a missing path keeps that path (resolved against the dataset folder).
        var missing = Url.FromLocalPath(Path.Combine(mixed, "images", "missing.png")).Value;
        Assert.Equal(1, single.Rows.Count(r => r["image"] is string s && single.ResolveUrl(s).Value == missing));
        Assert.Equal(1, job.Rows.Count(r => r["image"] is string s && job.ResolveUrl(s).Value == missing));
        ImportJobsHuggingFaceTests.AssertSameRows(single, job);
    }

    [Fact(Timeout = 120_000)]
    public async Task Import_BadImages_ValidateImagesFailPolicy_ErrorNamesShardRecordBatchRowAndColumn()
    {
        var ct = TestContext.Current.CancellationToken;
        var mixed = WriteDataset("mixed", BadImages, dropBad: false);
        var shard0 = Url.FromLocalPath(Path.Combine(mixed, Shard0)).Value;
        var shard1 = Url.FromLocalPath(Path.Combine(mixed, Shard1)).Value;
        var missing = Url.FromLocalPath(Path.Combine(mixed, "images", "missing.png")).Value;

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromHuggingFaceAsync(mixed, ImageOptions("single", validate: true), ct));
        Assert.Equal(shard0, e.File);
        Assert.Equal("record batch 2, row 3, column 'image'", e.Location);
        Assert.Equal(BadImages[0].Reason, e.Problem);

        var (plan, _) = await ImportJobs.PlanHuggingFaceAsync(mixed, ImageOptions("job", validate: true), "hf-images-fail", cancellationToken: ct);
        var results = await ConvertAsync(plan!, _root);
        Assert.Equal(2, results.Length);
        Assert.Equal(e.Message, results[0].Error);
        Assert.Equal($"{shard1}:record batch 1, row 2, column 'image': the image file is missing: {missing}", results[1].Error);
        Assert.All(results, r => Assert.Null(r.File));
        Assert.Empty(StagedFiles(plan!));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(1L)]
    [InlineData(ImportJobs.DefaultChunkBytes)]
    public async Task Convert_BadImages_ValidateImagesSkipPolicy_QuarantineListsExactlyThemAndTableEqualsCleanImport(long chunkBytes)
    {
        var ct = TestContext.Current.CancellationToken;
        var mixed = WriteDataset("mixed", BadImages, dropBad: false);
        var clean = WriteDataset("clean", BadImages, dropBad: true);

        var (table, results, listed) = await ConvertSkippingAsync(mixed, ImageOptions("mixed", validate: true), "hf-images-skip", chunkBytes, BadImages);
        using var _ = table;

        Assert.Equal(BadImages[0].Reason, listed[0].Item5);
        Assert.Equal($"the image file is missing: {Url.FromLocalPath(Path.Combine(mixed, "images", "missing.png")).Value}", listed[1].Item5);
        Assert.Equal(46 - BadImages.Length, results.Sum(r => r.Rows));

        // The one-process import of the dataset without the two rows, validated too (its images all pass).
        using var expected = await Table.FromHuggingFaceAsync(clean, ImageOptions("clean", validate: true), ct);
        Assert.Equal(46 - BadImages.Length, expected.RowCount);
        ImportJobsHuggingFaceTests.AssertSameRows(expected, table);
    }
}
