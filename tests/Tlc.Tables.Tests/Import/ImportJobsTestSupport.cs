using Tlc.Cluster;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

/// <summary>What a cluster does with an import job, in one process: convert chunks, publish the committed ones.</summary>
internal static class ImportJobsTestSupport
{
    /// <summary>Converts the chunks <paramref name="indices"/> (all when null) of <paramref name="spec"/>, in order.</summary>
    public static async Task<ImportChunkConversion[]> ConvertAsync(ImportJobSpec spec, TempRoot root, IEnumerable<int>? indices = null, int parallelism = 1)
    {
        var adapters = new UrlAdapterRegistry();
        var results = new List<ImportChunkConversion>();
        foreach (var i in indices ?? Enumerable.Range(0, spec.Chunks.Length))
        {
            var chunk = spec.Chunks[i];
            results.Add(await ImportJobs.ConvertAsync(spec, chunk, ImportJobs.WriteId(spec.JobId, chunk.Index, 1, "token000"), adapters,
                root.Settings, TestContext.Current.CancellationToken, parallelism));
        }
        return [.. results];
    }

    /// <summary>The commits of converted chunks, as workers send them.</summary>
    public static ImportChunkCommit[] Commits(IEnumerable<ImportChunkConversion> results) => results.Select((r, i) => new ImportChunkCommit(
        $"op{i}", 1, "token000", r.File?.Url, r.Rows, r.File?.Bytes ?? 0, r.File?.Batches.ToArray() ?? [], r.Error,
        r.Quarantine?.Url, r.Quarantine?.Rows ?? 0, r.Quarantine?.Bytes ?? 0, r.Quarantine?.Batches.ToArray() ?? [])).ToArray();

    /// <summary>Converts every chunk (none may fail), publishes the table and opens it.</summary>
    public static async Task<Table> ConvertAndPublishAsync(ImportJobSpec spec, TempRoot root, int parallelism = 1)
    {
        var results = await ConvertAsync(spec, root, parallelism: parallelism);
        Assert.All(results, r => Assert.Null(r.Error));
        var obj = ImportJobs.BuildObject(spec, Commits(results), DateTimeOffset.UtcNow);
        await ObjectFiles.PublishAsync(new UrlAdapterRegistry(), new Url(spec.TableUrl), obj, WriteMode.CreateNew, TestContext.Current.CancellationToken);
        return await Table.OpenAsync(spec.TableUrl, cancellationToken: TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Publishes converted chunks (none may have failed) and, under the skip policy, the quarantine first, as the job
    /// grain does; opens both.
    /// </summary>
    public static async Task<(Table Table, Table Quarantine)> PublishWithQuarantineAsync(ImportJobSpec spec, ImportChunkConversion[] results)
    {
        Assert.All(results, r => Assert.Null(r.Error));
        var ct = TestContext.Current.CancellationToken;
        var commits = Commits(results);
        var adapters = new UrlAdapterRegistry();
        await ObjectFiles.PublishAsync(adapters, ImportJobs.QuarantineUrl(spec), ImportJobs.BuildQuarantineObject(spec, commits, DateTimeOffset.UtcNow),
            WriteMode.CreateNew, ct);
        await ObjectFiles.PublishAsync(adapters, new Url(spec.TableUrl), ImportJobs.BuildObject(spec, commits, DateTimeOffset.UtcNow), WriteMode.CreateNew, ct);
        return (await Table.OpenAsync(spec.TableUrl, cancellationToken: ct), await Table.OpenAsync(ImportJobs.QuarantineUrl(spec), cancellationToken: ct));
    }

    /// <summary>Asserts both tables have the same schema (as JSON) and content hash.</summary>
    public static void AssertSameTable(Table expected, Table actual)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.Schema.ToJson().ToJsonString(), actual.Schema.ToJson().ToJsonString());
        Assert.Equal(expected.ContentHash(), actual.ContentHash());
    }

    /// <summary>The staged chunk files in the table folder of <paramref name="spec"/>.</summary>
    public static string[] StagedFiles(ImportJobSpec spec)
    {
        var folder = Path.Combine(new Url(spec.TableUrl).LocalPath, "chunks");
        return Directory.Exists(folder) ? Directory.GetFiles(folder) : [];
    }
}
