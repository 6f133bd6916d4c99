using Tlc.Cluster;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

/// <summary>What a cluster does with an import job, in one process: convert chunks, publish the committed ones.</summary>
internal static class ImportJobsTestSupport
{
    /// <summary>Converts the chunks <paramref name="indices"/> (all when null) of <paramref name="plan"/>, in order.</summary>
    public static async Task<ImportChunkConversion[]> ConvertAsync(ImportPlan plan, TempRoot root, IEnumerable<int>? indices = null, int parallelism = 1)
    {
        var adapters = new UrlAdapterRegistry();
        var results = new List<ImportChunkConversion>();
        foreach (var i in indices ?? Enumerable.Range(0, plan.Chunks.Count))
        {
            var chunk = plan.Chunks[i];
            results.Add(await ImportJobs.ConvertAsync(plan.Spec, chunk, ImportJobs.WriteId(plan.Spec.JobId, chunk.Index, 1, "token000"), adapters,
                root.Settings, TestContext.Current.CancellationToken, parallelism));
        }
        return [.. results];
    }

    /// <summary>The commits of converted chunks, as workers send them.</summary>
    public static ImportChunkCommit[] Commits(IEnumerable<ImportChunkConversion> results) => results.Select((r, i) => new ImportChunkCommit
    {
        Item = i, OperationId = $"op{i}", Attempt = 1, Token = "token000", ChunkUrl = r.File?.Url, Rows = r.Rows, Bytes = r.File?.Bytes ?? 0,
        Batches = r.File?.Batches.ToArray() ?? [], Error = r.Error, QuarantineUrl = r.Quarantine?.Url, QuarantinedRows = r.Quarantine?.Rows ?? 0,
        QuarantineBytes = r.Quarantine?.Bytes ?? 0, QuarantineBatches = r.Quarantine?.Batches.ToArray() ?? [],
    }).ToArray();

    /// <summary>Converts every chunk (none may fail), publishes the table and opens it.</summary>
    public static async Task<Table> ConvertAndPublishAsync(ImportPlan plan, TempRoot root, int parallelism = 1)
    {
        var results = await ConvertAsync(plan, root, parallelism: parallelism);
        Assert.All(results, r => Assert.Null(r.Error));
        var obj = ImportJobs.BuildObject(plan.Spec, Commits(results), DateTimeOffset.UtcNow);
        await ObjectFiles.PublishAsync(new UrlAdapterRegistry(), new Url(plan.Spec.TableUrl), obj, WriteMode.CreateNew, TestContext.Current.CancellationToken);
        return await Table.OpenAsync(plan.Spec.TableUrl, cancellationToken: TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Publishes converted chunks (none may have failed) and, under the skip policy, the quarantine first, as the job
    /// grain does; opens both.
    /// </summary>
    public static async Task<(Table Table, Table Quarantine)> PublishWithQuarantineAsync(ImportPlan plan, ImportChunkConversion[] results)
    {
        Assert.All(results, r => Assert.Null(r.Error));
        var ct = TestContext.Current.CancellationToken;
        var commits = Commits(results);
        var adapters = new UrlAdapterRegistry();
        await ObjectFiles.PublishAsync(adapters, ImportJobs.QuarantineUrl(plan.Spec), ImportJobs.BuildQuarantineObject(plan.Spec, commits, DateTimeOffset.UtcNow),
            WriteMode.CreateNew, ct);
        await ObjectFiles.PublishAsync(adapters, new Url(plan.Spec.TableUrl), ImportJobs.BuildObject(plan.Spec, commits, DateTimeOffset.UtcNow), WriteMode.CreateNew, ct);
        return (await Table.OpenAsync(plan.Spec.TableUrl, cancellationToken: ct), await Table.OpenAsync(ImportJobs.QuarantineUrl(plan.Spec), cancellationToken: ct));
    }

    /// <summary>Asserts both tables have the same schema (as JSON) and content hash.</summary>
    public static void AssertSameTable(Table expected, Table actual)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.Schema.ToJson().ToJsonString(), actual.Schema.ToJson().ToJsonString());
        Assert.Equal(expected.ContentHash(), actual.ContentHash());
    }

    /// <summary>The staged chunk files in the table folder of <paramref name="plan"/>.</summary>
    public static string[] StagedFiles(ImportPlan plan)
    {
        var folder = Path.Combine(new Url(plan.Spec.TableUrl).LocalPath, "chunks");
        return Directory.Exists(folder) ? Directory.GetFiles(folder) : [];
    }
}
