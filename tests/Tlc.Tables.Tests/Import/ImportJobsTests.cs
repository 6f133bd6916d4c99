using System.Globalization;
using System.Text;
using Tlc.Cluster;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class ImportJobsTests : IDisposable
{
    private readonly TempRoot _root = new("import-jobs");

    public void Dispose() => _root.Dispose();

    /// <summary>A CSV with quoted fields holding separators, quotes and newlines, nulls and several types.</summary>
    internal static string WriteCsv(string folder, int rows, int? badLine = null)
    {
        var path = Path.Combine(folder, $"data-{rows}.csv");
        var text = new StringBuilder("id,name,score,flag,note\n");
        for (var i = 0; i < rows; i++)
        {
            var line = text.ToString().Count(c => c == '\n') + 1;
            var score = line == badLine ? "not-a-number" : (i * 0.25).ToString(CultureInfo.InvariantCulture);
            var note = (i % 7) switch
            {
                0 => "\"multi\nline, with \"\"quotes\"\"\"",
                3 => "",
                _ => $"plain {i}",
            };
            text.Append(CultureInfo.InvariantCulture, $"{i},name {i % 13},{score},{(i % 2 == 0 ? "true" : "false")},{note}\n");
        }
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private CsvImportOptions Options(string table) => new() { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = table };

    /// <summary>What a cluster does, in one process: convert every chunk, then publish the committed ones.</summary>
    private async Task<(ImportPlan Spec, ImportChunkConversion[] Results)> ConvertAllAsync(ImportPlan plan)
    {
        var adapters = new UrlAdapterRegistry();
        var results = new List<ImportChunkConversion>();
        foreach (var chunk in plan.Chunks)
        {
            results.Add(await ImportJobs.ConvertAsync(plan.Spec, chunk, ImportJobs.WriteId(plan.Spec.JobId, chunk.Index, 1, "token000"), adapters, _root.Settings));
        }
        return (plan, results.ToArray());
    }

    /// <summary>Converts every chunk of a plan of more than <paramref name="minChunks"/> chunks, none failing, publishes the table and opens it.</summary>
    private async Task<Table> ConvertAndPublishAsync(ImportPlan plan, int minChunks)
    {
        Assert.True(plan.Chunks.Count > minChunks, $"{plan.Chunks.Count} chunks");
        var (_, results) = await ConvertAllAsync(plan);
        Assert.All(results, r => Assert.Null(r.Error));
        var obj = ImportJobs.BuildObject(plan.Spec, Commits(results), DateTimeOffset.UtcNow);
        await ObjectFiles.PublishAsync(new UrlAdapterRegistry(), new Url(plan.Spec.TableUrl), obj, WriteMode.CreateNew, CancellationToken.None);
        return await Table.OpenAsync(plan.Spec.TableUrl);
    }

    private static ImportChunkCommit[] Commits(ImportChunkConversion[] results) => results.Select((r, i) => new ImportChunkCommit
    {
        Item = i, OperationId = $"op{i}", Attempt = 1, Token = "token000", ChunkUrl = r.File?.Url, Rows = r.Rows, Bytes = r.File?.Bytes ?? 0,
        Batches = r.File?.Batches.ToArray() ?? [], Error = r.Error,
    }).ToArray();

    [Fact]
    public async Task PlanConvertPublish_ManySmallChunks_SameContentHashAsTheOneProcessImport()
    {
        var path = WriteCsv(_root.Path, 3000);
        using var expected = await Table.FromCsvAsync(path, Options("single"));

        var (plan, existing) = await ImportJobs.PlanCsvAsync(path, Options("chunked"), "job-1", new ImportJobOptions { ChunkBytes = 8 << 10 });
        Assert.Null(existing);
        using var actual = await ConvertAndPublishAsync(plan!, minChunks: 10);
        Assert.Equal(3000, actual.RowCount);
        Assert.Equal(expected.Schema.ToJson().ToJsonString(), actual.Schema.ToJson().ToJsonString());
        Assert.Equal(expected.ContentHash(), actual.ContentHash());
        Assert.Equal("multi\nline, with \"quotes\"", actual.Rows[0]["note"]);
    }

    [Fact]
    public async Task PlanConvertPublish_NoHeaderWithColumnNames_SameContentHashAsTheOneProcessImport()
    {
        var withHeader = WriteCsv(_root.Path, 3000);
        var path = Path.Combine(_root.Path, "no-header.csv");
        File.WriteAllText(path, File.ReadAllText(withHeader)[(File.ReadAllText(withHeader).IndexOf('\n') + 1)..]);
        var names = new[] { "id", "name", "score", "flag", "note" };
        using var expected = await Table.FromCsvAsync(withHeader, Options("single"));

        var options = new CsvImportOptions { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = "chunked", HasHeader = false, ColumnNames = names };
        var (plan, _) = await ImportJobs.PlanCsvAsync(path, options, "job-nh", new ImportJobOptions { ChunkBytes = 8 << 10 });
        using var actual = await ConvertAndPublishAsync(plan!, minChunks: 10);
        Assert.Equal(3000, actual.RowCount);
        Assert.Equal(expected.ContentHash(), actual.ContentHash());
    }

    [Fact]
    public async Task Convert_BadValueInOneChunk_ErrorNamesFileAndLine_NothingStaged()
    {
        var path = WriteCsv(_root.Path, 2000, badLine: 1500);
        var options = new CsvImportOptions { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = "bad", InferenceRows = 100 };
        var (plan, _) = await ImportJobs.PlanCsvAsync(path, options, "job-2", new ImportJobOptions { ChunkBytes = 8 << 10 });
        var (_, results) = await ConvertAllAsync(plan!);

        var failed = Assert.Single(results, r => r.Error is not null);
        Assert.Contains(path, failed.Error);
        Assert.Contains("line 1500", failed.Error);
        Assert.Contains("'score'", failed.Error);
        Assert.Null(failed.File);
        var staged = Directory.GetFiles(Path.Combine(new Url(plan!.Spec.TableUrl).LocalPath, "chunks"));
        Assert.Equal(results.Count(r => r.File is not null), staged.Length);
    }

    private string WriteNdjson(int rows, int? badLine = null)
    {
        var path = Path.Combine(_root.Path, $"events-{rows}-{badLine}.ndjson");
        var text = new StringBuilder();
        for (var i = 0; i < rows; i++)
        {
            var line = i + 1;
            var score = line == badLine ? "\"high\"" : (i * 0.5).ToString(CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"score\":{score},\"tags\":[{i % 3},{i % 5}],\"where\":{{\"x\":{i % 7},\"name\":\"p{i % 11}\"}}");
            text.Append(i % 4 == 0 ? "}\n" : $",\"note\":\"n {i}\"}}\n");
            if (i % 50 == 0)
            {
                text.Append('\n'); // blank lines count as lines and are skipped
            }
        }
        File.WriteAllText(path, text.ToString());
        return path;
    }

    [Fact]
    public async Task PlanConvertPublish_Ndjson_SameContentHashAsTheOneProcessImport()
    {
        var path = WriteNdjson(2000);
        using var expected = await Table.FromNdjsonAsync(path, new NdjsonImportOptions { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = "nd-single" });

        var (plan, _) = await ImportJobs.PlanNdjsonAsync(path, new NdjsonImportOptions { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = "nd-chunked" },
            "job-nd", new ImportJobOptions { ChunkBytes = 8 << 10 });
        Assert.True(plan!.Chunks.Count > 5, $"{plan.Chunks.Count} chunks");
        var (_, results) = await ConvertAllAsync(plan);
        Assert.All(results, r => Assert.Null(r.Error));
        await ObjectFiles.PublishAsync(new UrlAdapterRegistry(), new Url(plan.Spec.TableUrl), ImportJobs.BuildObject(plan.Spec, Commits(results), DateTimeOffset.UtcNow), WriteMode.CreateNew,
            CancellationToken.None);

        using var actual = await Table.OpenAsync(plan.Spec.TableUrl);
        Assert.Equal(expected.Schema.ToJson().ToJsonString(), actual.Schema.ToJson().ToJsonString());
        Assert.Equal(expected.ContentHash(), actual.ContentHash());
    }

    [Fact]
    public async Task Convert_Ndjson_WrongTypeInALaterChunk_ErrorNamesFileAndLine()
    {
        var path = WriteNdjson(2000, badLine: 1700);
        var (plan, _) = await ImportJobs.PlanNdjsonAsync(path,
            new NdjsonImportOptions { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = "nd-bad", InferenceLines = 100 },
            "job-nd-bad", new ImportJobOptions { ChunkBytes = 8 << 10 });
        var (_, results) = await ConvertAllAsync(plan!);

        var error = Assert.Single(results.Select(r => r.Error).OfType<string>());
        // Line 1700 of the records is file line 1700 + the blank lines before it (one after every 50th record).
        Assert.Contains($"{path}:line {1700 + (1699 + 49) / 50}, column 'score'", error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task PlanConvertPublish_Flights3mParquet_OneChunkPerRowGroup_SameContentHashAsTheOneProcessImport()
    {
        ParquetImportOptions Options(string table) => new() { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = table };
        using var expected = await Table.FromParquetAsync(Fixtures.Flights3mParquet, Options("flights-single"));

        var (plan, _) = await ImportJobs.PlanParquetAsync(Fixtures.Flights3mParquet, Options("flights-chunked"), "job-pq", new ImportJobOptions { ChunkBytes = 1 });
        Assert.Equal(11, plan!.Chunks.Count); // the file's 11 row groups
        var (_, results) = await ConvertAllAsync(plan);
        Assert.All(results, r => Assert.Null(r.Error));
        await ObjectFiles.PublishAsync(new UrlAdapterRegistry(), new Url(plan.Spec.TableUrl), ImportJobs.BuildObject(plan.Spec, Commits(results), DateTimeOffset.UtcNow), WriteMode.CreateNew,
            CancellationToken.None);

        using var actual = await Table.OpenAsync(plan.Spec.TableUrl);
        Assert.Equal(3_000_000, actual.RowCount);
        Assert.Equal(expected.Schema.ToJson().ToJsonString(), actual.Schema.ToJson().ToJsonString());
        Assert.Equal(expected.ContentHash(), actual.ContentHash());
    }

    [Fact]
    public async Task Plan_ExistingTable_ReuseReturnsIt_RaiseRefuses()
    {
        var path = WriteCsv(_root.Path, 10);
        using var first = await Table.FromCsvAsync(path, Options("exists"));

        var (plan, existing) = await ImportJobs.PlanCsvAsync(path, Options("exists"), "job-3");
        Assert.Null(plan);
        using (existing)
        {
            Assert.Equal(first.Url, existing!.Url);
        }
        var raise = new CsvImportOptions { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = "exists", IfExists = IfExists.Raise };
        await Assert.ThrowsAsync<TableExistsException>(() => ImportJobs.PlanCsvAsync(path, raise, "job-4"));
    }
}
