using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Tlc.Cluster;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing.Cluster;

namespace Tlc.Workers.Tests;

/// <summary>The tests of <see cref="ImportJobTests{TCluster}"/> on the three-silo cluster with grain state on Azurite.</summary>
public sealed class ImportJobTests(ClusterFixture fixture) : ImportJobTests<ClusterFixture>(fixture);

/// <summary>The tests of <see cref="ImportJobTests{TCluster}"/> on the three-silo cluster over Redis (membership, grain state, reminders).</summary>
public sealed class ImportJobRedisTests(RedisClusterFixture fixture) : ImportJobTests<RedisClusterFixture>(fixture);

/// <summary>Imports as cluster jobs on a three-silo cluster with in-process workers: same table as one process, each chunk once.</summary>
public abstract class ImportJobTests<TCluster>(TCluster fixture) : IClassFixture<TCluster>
    where TCluster : ClusterFixture
{
    private const long ChunkBytes = 8 << 10;

    /// <summary>A CSV with quoted separators, quotes and newlines, empty values and several types; optionally bad scores on some lines.</summary>
    private string WriteCsv(string name, int rows, params int[] badLines)
    {
        var path = Path.Combine(fixture.Root.Path, $"{name}.csv");
        var text = new StringBuilder("id,name,score,flag,note\n");
        var line = 2;
        for (var i = 0; i < rows; i++)
        {
            var score = badLines.Contains(line) ? "n/a" : (i * 0.25).ToString(CultureInfo.InvariantCulture);
            var note = (i % 7) switch
            {
                0 => "\"two\nlines, \"\"quoted\"\"\"",
                3 => "",
                _ => $"plain {i}",
            };
            text.Append(CultureInfo.InvariantCulture, $"{i},name {i % 13},{score},{(i % 2 == 0 ? "true" : "false")},{note}\n");
            line += i % 7 == 0 ? 2 : 1;
        }
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private CsvImportOptions Options(string table) => new()
    {
        Root = fixture.Root.Url, Settings = fixture.Root.Settings, Project = "p", Dataset = "imports", Table = table, InferenceRows = 50,
    };

    private static WorkerOptions Fast(string id) => new() { WorkerId = id, PollInterval = TimeSpan.FromMilliseconds(100), HeartbeatInterval = TimeSpan.FromSeconds(1) };

    /// <summary>Two workers that count the conversions of each chunk (before commit).</summary>
    private (WorkerHost[] Hosts, ConcurrentDictionary<int, int> Conversions) Workers(Func<ImportChunkTask, CancellationToken, Task>? hook = null)
    {
        var conversions = new ConcurrentDictionary<int, int>();
        var hosts = new[] { "i1", "i2" }.Select(id => new WorkerHost(fixture.Context(id), new ArithmeticExecutor(fixture.Context().Adapters), Fast(id))
        {
            BeforeImportCommit = async (task, token) =>
            {
                conversions.AddOrUpdate(task.Chunk.Index, 1, (_, n) => n + 1);
                if (hook is not null)
                {
                    await hook(task, token);
                }
            },
        }).ToArray();
        return (hosts, conversions);
    }

    [Fact(Timeout = 180_000)]
    public async Task ImportCsv_TwoWorkers_SameContentHashAsOneProcess_EachChunkConvertedOnce()
    {
        var path = WriteCsv("clean", 4000);
        using var expected = await Table.FromCsvAsync(path, Options("clean-single"));
        var (hosts, conversions) = Workers();
        using var stop = new CancellationTokenSource();
        var runs = hosts.Select(h => h.RunAsync(stop.Token)).ToList();
        var reports = new ConcurrentQueue<JobProgress>();

        using var table = await ImportJob.ImportAsync(fixture.Context(), ImportSource.Csv(path, Options("clean-job")), new ImportJobOptions { ChunkBytes = ChunkBytes },
            progress: new SyncProgress(reports.Enqueue));
        await stop.CancelAsync();
        await Task.WhenAll(runs);

        Assert.Equal(4000, table.RowCount);
        Assert.Equal(expected.Schema.ToJson().ToJsonString(), table.Schema.ToJson().ToJsonString());
        Assert.Equal(expected.ContentHash(), table.ContentHash());
        var job = await JobHandle.AttachAsync(fixture.Context(), table.Object.Properties!["import_job"]);
        var chunks = (await job.GetProgressAsync()).Items;
        Assert.Equal(JobStatus.Completed, reports.Last().Status);
        Assert.Equal(4000, reports.Last().RowsCommitted);
        Assert.True(chunks > 10, $"{chunks} chunks");
        Assert.Equal(chunks, conversions.Count);
        Assert.All(conversions, c => Assert.Equal(1, c.Value));
        Assert.Equal(chunks, hosts.Sum(h => h.ChunksConverted));
        Assert.True(hosts.All(h => h.ChunksConverted > 0), "both workers converted chunks");
    }

    [Fact(Timeout = 180_000)]
    public async Task WorkerStalledMidChunk_LeaseExpires_ChunkConvertedElsewhere_CommittedChunksNeverAgain()
    {
        var path = WriteCsv("stall", 3000);
        using var expected = await Table.FromCsvAsync(path, Options("stall-single"));
        var stalled = new TaskCompletionSource();
        var (hosts, conversions) = Workers(async (task, token) =>
        {
            // The first conversion of chunk 2 hangs (a worker that stopped answering) until the worker is stopped.
            if (task.Chunk.Index == 2 && task.Lease.Attempt == 1)
            {
                stalled.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
            }
        });
        using var stopStalled = new CancellationTokenSource();
        using var stop = new CancellationTokenSource();
        var (plan, _) = await ImportJobs.PlanCsvAsync(path, Options("stall-job"), Guid.NewGuid().ToString("N"),
            new ImportJobOptions { ChunkBytes = ChunkBytes, LeaseDuration = TimeSpan.FromSeconds(2) });
        var spec = plan!.Spec;
        var job = await ImportJob.SubmitAsync(fixture.Context(), plan!);
        // Worker 1 takes chunks until it stalls on chunk 2; it renews nothing after that (its renewals stop with it).
        var first = hosts[0].RunAsync(stopStalled.Token);
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await stopStalled.CancelAsync();
        await first;
        var second = hosts[1].RunAsync(stop.Token);

        using var table = await job.WaitAsync();
        await stop.CancelAsync();
        await second;

        Assert.Equal(expected.ContentHash(), table.ContentHash());
        var progress = await job.GetProgressAsync();
        Assert.Equal(plan!.Chunks.Count, conversions.Count);
        Assert.Equal(2, conversions[2]);
        Assert.All(conversions.Where(c => c.Key != 2), c => Assert.Equal(1, c.Value));
        Assert.True(progress.LeaseExpirations >= 1 || progress.Retries >= 1);
    }

    [Fact(Timeout = 180_000)]
    public async Task SameJobIdTwice_Concurrently_PublishesOneTable()
    {
        var path = WriteCsv("twice", 1500);
        var (hosts, _) = Workers();
        using var stop = new CancellationTokenSource();
        var runs = hosts.Select(h => h.RunAsync(stop.Token)).ToList();
        var jobId = Guid.NewGuid().ToString("N");

        var tables = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => ImportJob.ImportAsync(fixture.Context(), ImportSource.Csv(path, Options("twice-job")),
            new ImportJobOptions { ChunkBytes = ChunkBytes }, jobId)));
        var again = await ImportJob.ImportAsync(fixture.Context(), ImportSource.Csv(path, Options("twice-job")), new ImportJobOptions { ChunkBytes = ChunkBytes }, jobId);
        await stop.CancelAsync();
        await Task.WhenAll(runs);

        Assert.Single(tables.Append(again).Select(t => t.Object.Id).Distinct());
        Assert.Single(Directory.GetFiles(tables[0].Url.LocalPath, "object*.json"));
        foreach (var t in tables.Append(again))
        {
            t.Dispose();
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task BadRowsInTwoChunks_FailPolicy_JobFailsWithBothErrors_NothingPublishedNothingStaged()
    {
        var path = WriteCsv("bad", 3000, 400, 3100);
        var (hosts, _) = Workers();
        using var stop = new CancellationTokenSource();
        var runs = hosts.Select(h => h.RunAsync(stop.Token)).ToList();

        var e = await Assert.ThrowsAsync<JobFailedException>(() => ImportJob.ImportAsync(fixture.Context(), ImportSource.Csv(path, Options("bad-job")),
            new ImportJobOptions { ChunkBytes = ChunkBytes }));
        await stop.CancelAsync();
        await Task.WhenAll(runs);

        Assert.Equal(JobStatus.Failed, e.Progress.Status);
        Assert.Equal(2, e.Progress.Errors.Length);
        Assert.Contains(e.Progress.Errors, m => m.Contains("line 400", StringComparison.Ordinal) && m.Contains(path, StringComparison.Ordinal) && m.Contains("'score'", StringComparison.Ordinal));
        Assert.Contains(e.Progress.Errors, m => m.Contains("line 3100", StringComparison.Ordinal));
        var folder = Path.Combine(fixture.Root.Path, "projects", "p", "datasets", "imports", "tables", "bad-job");
        Assert.False(File.Exists(Path.Combine(folder, "object.tlc.json")));
        Assert.Empty(Directory.Exists(Path.Combine(folder, "chunks")) ? Directory.GetFiles(Path.Combine(folder, "chunks")) : []);
    }

    [Fact(Timeout = 180_000)]
    public async Task BadRows_SkipPolicy_TableHasTheGoodRows_QuarantineListsExactlyTheBadOnes()
    {
        // Line n holds record n - 2; three kinds of bad record in different chunks.
        var bad = new Dictionary<int, (string Text, string? Column, string Reason)>
        {
            [300] = ("298,name 298,n/a,true,x", "score", "'n/a' is not"),
            [1700] = ("1698,name 1698,1.5,false,x,extra", null, "6 fields, but the header has 5"),
            [2900] = (",name 2898,2.5,true,x", "id", "empty value"),
        };
        var good = new StringBuilder("id,name,score,flag,note\n");
        var all = new StringBuilder("id,name,score,flag,note\n");
        for (var line = 2; line < 3500; line++)
        {
            var record = string.Create(CultureInfo.InvariantCulture, $"{line - 2},name {line % 13},{line * 0.5},{(line % 2 == 0 ? "true" : "false")},n{line}");
            if (bad.TryGetValue(line, out var b))
            {
                all.Append(b.Text).Append('\n');
                good.Append('\n'); // a blank line keeps the other lines' numbers and is skipped by both
            }
            else
            {
                all.Append(record).Append('\n');
                good.Append(record).Append('\n');
            }
        }
        var path = Path.Combine(fixture.Root.Path, "skip.csv");
        var cleanPath = Path.Combine(fixture.Root.Path, "skip-clean.csv");
        File.WriteAllText(path, all.ToString());
        File.WriteAllText(cleanPath, good.ToString());
        using var expected = await Table.FromCsvAsync(cleanPath, Options("skip-single"));
        var (hosts, _) = Workers();
        using var stop = new CancellationTokenSource();
        var runs = hosts.Select(h => h.RunAsync(stop.Token)).ToList();

        using var table = await ImportJob.ImportAsync(fixture.Context(), ImportSource.Csv(path, Options("skip-job")),
            new ImportJobOptions { ChunkBytes = ChunkBytes, ErrorPolicy = ImportErrorPolicy.Skip });
        await stop.CancelAsync();
        await Task.WhenAll(runs);

        Assert.Equal(expected.ContentHash(), table.ContentHash());
        using var quarantine = await Table.OpenAsync(table.Object.Properties!["quarantine_table"]);
        Assert.Equal(bad.Count, quarantine.RowCount);
        for (var i = 0; i < bad.Count; i++)
        {
            var (line, (_, column, reason)) = bad.OrderBy(b => b.Key).ElementAt(i);
            var row = quarantine.Rows[i];
            Assert.Equal(path, row["file"]);
            Assert.Equal((long)line, row["line"]);
            Assert.Equal(column, row["column"]);
            Assert.Contains(reason, (string)row["reason"]!, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task Cancel_MidImport_NothingPublished_StagedChunksDeleted()
    {
        var path = WriteCsv("cancel", 3000);
        var held = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var converted = 0;
        var (hosts, _) = Workers(async (task, token) =>
        {
            if (Interlocked.Increment(ref converted) > 4)
            {
                held.TrySetResult();
                await release.Task.WaitAsync(token);
            }
        });
        using var stop = new CancellationTokenSource();
        var runs = hosts.Select(h => h.RunAsync(stop.Token)).ToList();
        var (plan, _) = await ImportJobs.PlanCsvAsync(path, Options("cancel-job"), Guid.NewGuid().ToString("N"), new ImportJobOptions { ChunkBytes = ChunkBytes });
        var spec = plan!.Spec;
        var job = await ImportJob.SubmitAsync(fixture.Context(), plan!);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var cancelled = await job.CancelAsync();
        release.SetResult();
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(runs);

        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.True(cancelled.ItemsCommitted >= 1, "some chunks were committed before the cancel");
        await Assert.ThrowsAsync<JobFailedException>(() => job.WaitAsync());
        var folder = new Url(spec.TableUrl).LocalPath;
        Assert.False(File.Exists(Path.Combine(folder, "object.tlc.json")));
        Assert.Empty(Directory.Exists(Path.Combine(folder, "chunks")) ? Directory.GetFiles(Path.Combine(folder, "chunks")) : []);
    }

    [Fact(Timeout = 180_000)]
    public async Task Cancel_HuggingFaceImportWithImageBytes_NoChunkFileOrBulkDataLeft()
    {
        var held = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var converted = 0;
        var (hosts, _) = Workers(async (task, token) =>
        {
            if (Interlocked.Increment(ref converted) > 1)
            {
                held.TrySetResult();
                await release.Task.WaitAsync(token);
            }
        });
        using var stop = new CancellationTokenSource();
        var runs = hosts.Select(h => h.RunAsync(stop.Token)).ToList();
        var jobId = Guid.NewGuid().ToString("N");
        var (plan, _) = await ImportJobs.PlanHuggingFaceAsync(Tlc.Testing.Fixtures.HuggingFaceFashionMnist, new HuggingFaceImportOptions
        {
            Root = fixture.Root.Url, Settings = fixture.Root.Settings, Project = "p", Dataset = "imports", Table = "hf-cancel", Split = "train",
        }, jobId, new ImportJobOptions { ChunkBytes = 1 });
        var spec = plan!.Spec;
        Assert.True(plan!.Chunks.Count >= 3, $"{plan.Chunks.Count} chunks");
        var job = await ImportJob.SubmitAsync(fixture.Context(), plan!);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(60));
        while ((await job.GetProgressAsync()).ItemsCommitted == 0)
        {
            await Task.Delay(20);
        }

        var cancelled = await job.CancelAsync();
        release.SetResult();
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(runs);

        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.True(cancelled.ItemsCommitted >= 1, "a chunk with image bytes was committed before the cancel");
        var left = Directory.GetFiles(fixture.Root.Path, "*", SearchOption.AllDirectories)
            .Where(f => f.Contains($"import-{jobId[..8]}", StringComparison.Ordinal)).ToList();
        Assert.True(left.Count == 0, $"left behind: {string.Join(", ", left)}");
    }

    private sealed class SyncProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
