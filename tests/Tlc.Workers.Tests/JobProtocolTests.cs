using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Testing.Cluster;

namespace Tlc.Workers.Tests;

/// <summary>The tests of <see cref="JobProtocolTests{TCluster}"/> on the three-silo cluster with grain state on Azurite.</summary>
public sealed class JobProtocolTests(ClusterFixture fixture) : JobProtocolTests<ClusterFixture>(fixture);

/// <summary>The tests of <see cref="JobProtocolTests{TCluster}"/> on the three-silo cluster over Redis (membership, grain state, reminders).</summary>
public sealed class JobProtocolRedisTests(RedisClusterFixture fixture) : JobProtocolTests<RedisClusterFixture>(fixture);

public abstract class JobProtocolTests<TCluster>(TCluster fixture) : IClassFixture<TCluster>
    where TCluster : ClusterFixture
{
    private async Task<Table> InputAsync(string name, int rows)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["x"] = new Float64Schema() },
            Project = "p", Dataset = "d", Table = name, Root = fixture.Root.Url, Settings = fixture.Root.Settings, IfExists = IfExists.Overwrite,
        });
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["x"] = i * 0.5 });
        }
        return await writer.FinalizeAsync();
    }

    private static async Task<(MetricsJobSpec Spec, IJobGrain Job)> SubmitAsync(ClusterContext context, Run run, Table table, int shardRows,
        bool excludeZero = false, int maxAttempts = 3, TimeSpan? lease = null)
    {
        var jobId = Guid.NewGuid().ToString("N");
        var spec = new MetricsJobSpec
        {
            JobId = jobId,
            Items = MetricsJobSpec.ShardCount(table.RowCount, shardRows),
            ShardRows = shardRows,
            BatchSize = 1,
            RequireFullCoverage = !excludeZero,
            TableUrl = table.Url.Value,
            TableObjectId = table.Object.Id,
            TableRows = table.RowCount,
            Model = new ModelSpec(ModelKinds.Factory, "arithmetic"),
            Collectors = [],
            ExcludeZeroWeights = excludeZero,
            RunKey = run.Key,
            MetricsTableUrl = run.Url.Join($"metrics/test-{jobId[..8]}").Value,
            StreamName = "test",
            OutputSchemaJson = ArithmeticExecutor.OutputSchema().ToJson().ToJsonString(),
            MaxAttempts = maxAttempts,
            LeaseDuration = lease ?? TimeSpan.FromSeconds(30),
            Submitted = DateTimeOffset.UtcNow,
        };
        await JobHandle.SubmitAsync(context, spec, excludeZero ? ShardPlanner.Plan(table, shardRows, excludeZero) : null);
        return (spec, context.Client.GetGrain<IJobGrain>(jobId));
    }

    private static async Task<JobProgress> WaitAsync(IJobGrain job, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var progress = await job.GetProgressAsync();
            if (progress.IsFinished || DateTime.UtcNow > deadline)
            {
                return progress;
            }
            await Task.Delay(100);
        }
    }

    private static WorkerOptions Fast(string id) => new() { WorkerId = id, PollInterval = TimeSpan.FromMilliseconds(100), HeartbeatInterval = TimeSpan.FromSeconds(1) };

    [Fact(Timeout = 120_000)]
    public async Task TwoWorkers_EveryExampleIdOnce_TablePublishedAndRegistered()
    {
        var context = fixture.Context();
        var input = await InputAsync("two-workers", 1000);
        await using var run = await Runs.InitAsync(context, "p", "two-workers");
        var (spec, job) = await SubmitAsync(context, run, input, shardRows: 64);
        using var stop = new CancellationTokenSource();
        var executor = new ArithmeticExecutor(context.Adapters);
        var workers = new[] { new WorkerHost(fixture.Context("w1"), executor, Fast("w1")), new WorkerHost(fixture.Context("w2"), executor, Fast("w2")) };
        var running = workers.Select(w => w.RunAsync(stop.Token)).ToList();

        var progress = await WaitAsync(job, TimeSpan.FromSeconds(90));
        await stop.CancelAsync();
        await Task.WhenAll(running);

        Assert.Equal(JobStatus.Completed, progress.Status);
        Assert.Equal(16, progress.ItemsCommitted);
        Assert.True(workers.All(w => w.ShardsCommitted > 0), "both workers took shards");
        using var metrics = await Table.OpenAsync(progress.ResultUrl!);
        Assert.Equal(1000, metrics.RowCount);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), metrics.Rows.Select(r => (long)r["example_id"]!));
        Assert.Equal(999.0, metrics.Rows[999]["twice"]);
        Assert.Equal("metrics", metrics.Object.Lineage.Kind);
        var info = await run.GetInfoAsync();
        Assert.Equal(progress.ResultUrl, Assert.Single(info.MetricsTables).Url);
        Assert.Equal(1000, info.MetricsTables[0].RowCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task StalledWorker_LeaseExpires_ShardRerunsElsewhere_LateCommitIgnored()
    {
        var context = fixture.Context();
        var input = await InputAsync("stall", 200);
        await using var run = await Runs.InitAsync(context, "p", "stall");
        var (spec, job) = await SubmitAsync(context, run, input, shardRows: 100, lease: TimeSpan.FromSeconds(2));
        using var stop = new CancellationTokenSource();
        var executor = new ArithmeticExecutor(context.Adapters);
        var stalled = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        // The stalling worker stops renewing (its renewals are ignored after the stall) and commits late. Only its first
        // attempt stalls: with two shards at once its other slot may take the shard again once the lease ran out.
        var slow = new WorkerHost(fixture.Context("slow"), executor, new WorkerOptions { WorkerId = "slow", PollInterval = TimeSpan.FromMilliseconds(100), RenewFraction = 100 })
        {
            BeforeCommit = async (task, _) =>
            {
                if (task.Shard.Index == 0 && task.Lease.Attempt == 1)
                {
                    stalled.TrySetResult();
                    await release.Task;
                }
            },
        };
        var slowRun = slow.RunAsync(stop.Token);
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var fast = new WorkerHost(fixture.Context("fast"), executor, Fast("fast"));
        var fastRun = fast.RunAsync(stop.Token);

        var progress = await WaitAsync(job, TimeSpan.FromSeconds(60));
        release.SetResult(); // the late commit now arrives
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(slowRun, fastRun);

        Assert.Equal(JobStatus.Completed, progress.Status);
        Assert.True(progress.LeaseExpirations >= 1);
        var part = (await context.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(spec.JobId, 0)).GetItemsAsync())[0];
        Assert.True(part.Lease.CommittedAttempt >= 2, $"shard 0 committed by attempt {part.Lease.CommittedAttempt}");
        using var metrics = await Table.OpenAsync(progress.ResultUrl!);
        Assert.Equal(200, metrics.RowCount);
        Assert.Equal(200, metrics.Rows.Select(r => (long)r["example_id"]!).Distinct().Count());
    }

    [Fact(Timeout = 120_000)]
    public async Task DuplicatedId_ShardFailsNamingShardAndId_NothingPublished()
    {
        var context = fixture.Context();
        var input = await InputAsync("dup", 100);
        await using var run = await Runs.InitAsync(context, "p", "dup");
        var (spec, job) = await SubmitAsync(context, run, input, shardRows: 50, maxAttempts: 2);
        var executor = new ArithmeticExecutor(context.Adapters)
        {
            CorruptIds = (task, ids) => task.Shard.Index == 1 ? [.. ids.Take(10), ids[9], .. ids.Skip(11)] : ids,
        };
        using var stop = new CancellationTokenSource();
        var worker = new WorkerHost(fixture.Context("w"), executor, Fast("w"));
        var running = worker.RunAsync(stop.Token);
        var progress = await WaitAsync(job, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await running;

        Assert.Equal(JobStatus.Failed, progress.Status);
        Assert.Contains(progress.Errors, e => e.Contains("shard 1", StringComparison.Ordinal) && e.Contains("example_id 59 appears twice", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(new Url(spec.MetricsTableUrl).LocalPath, "object.tlc.json")));
        Assert.Empty((await run.GetInfoAsync()).MetricsTables);
    }

    [Fact(Timeout = 120_000)]
    public async Task MissingId_RejectedByTheSegmentEvenFromACustomWorker()
    {
        var context = fixture.Context();
        var input = await InputAsync("missing", 100);
        await using var run = await Runs.InitAsync(context, "p", "missing");
        var (spec, job) = await SubmitAsync(context, run, input, shardRows: 100);
        var grant = Assert.Single((await job.LeaseAsync(new WorkerRef("rogue", "1"), 1)).Grants);
        var segment = context.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(spec.JobId, 0));
        PartCommit Commit(string op, string chunk, long rows, params IdRun[] runs) => new()
        {
            Item = 0, OperationId = op, Attempt = grant.Attempt, Token = grant.Token, ChunkUrl = chunk, Rows = rows, Bytes = 10, Batches = [(int)rows], Ids = IdSet.FromRuns(runs),
        };

        var result = await segment.CommitAsync(Commit("op", "chunks/x.arrow", 99, new IdRun(0, 40), new IdRun(41, 59)));
        Assert.Equal(CommitOutcome.Rejected, result.Outcome);
        Assert.Contains("shard 0: example_id 40 is missing", result.Reason, StringComparison.Ordinal);
        var outside = await segment.CommitAsync(Commit("op2", "chunks/x.arrow", 101, new IdRun(0, 101)));
        Assert.Contains("is beyond the 100 rows", outside.Reason, StringComparison.Ordinal);
        var traversal = await segment.CommitAsync(Commit("op3", "../../etc/passwd", 100, new IdRun(0, 100)));
        Assert.Equal(CommitOutcome.Rejected, traversal.Outcome);
        var wrongCount = await segment.CommitAsync(Commit("op4", "chunks/x.arrow", 99, new IdRun(0, 100)));
        Assert.Contains("the chunk has 99 rows but its ids number 100", wrongCount.Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task CommitRetriedWithSameOperation_HasOneEffect()
    {
        var context = fixture.Context();
        var input = await InputAsync("retry-op", 10);
        await using var run = await Runs.InitAsync(context, "p", "retry-op");
        var (spec, job) = await SubmitAsync(context, run, input, shardRows: 10);
        var grant = Assert.Single((await job.LeaseAsync(new WorkerRef("w", "1"), 1)).Grants);
        var executor = new ArithmeticExecutor(context.Adapters);
        var chunk = new Url(spec.MetricsTableUrl).Join("chunks/shard-00000-a1.arrow");
        var output = await executor.ExecuteAsync(new ShardTask(spec, (PartPlan)spec.ImpliedPlan(0)!, grant, chunk), CancellationToken.None);
        var commit = new PartCommit
        {
            Item = 0, OperationId = "same-op", Attempt = 1, Token = grant.Token, ChunkUrl = "chunks/shard-00000-a1.arrow", Rows = output.Rows, Bytes = output.Bytes,
            Batches = output.Batches, Ids = IdSet.FromRuns([new IdRun(0, 10)]),
        };
        var part = context.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(spec.JobId, 0));

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => part.CommitAsync(commit)));
        Assert.Equal(1, results.Count(r => r.Outcome == CommitOutcome.Accepted));
        Assert.Equal(4, results.Count(r => r.Outcome == CommitOutcome.Duplicate));
        var progress = await WaitAsync(job, TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Completed, progress.Status);
        Assert.Single((await run.GetInfoAsync()).MetricsTables);
        Assert.Equal(CommitOutcome.Superseded, (await part.CommitAsync(commit with { OperationId = "other" })).Outcome);
    }

    [Fact(Timeout = 120_000)]
    public async Task ExcludeZeroWeights_SkippedRowsAbsent_FailedJobRetried()
    {
        var context = fixture.Context();
        var input = await (await InputAsync("weights", 60)).Edit().SetWeights([3, 4, 40], 0f).CommitAsync();
        await using var run = await Runs.InitAsync(context, "p", "weights");
        var (spec, job) = await SubmitAsync(context, run, input, shardRows: 20, excludeZero: true, maxAttempts: 1);
        var fail = true;
        var executor = new ArithmeticExecutor(context.Adapters) { CorruptIds = (task, ids) => fail && task.Shard.Index == 2 ? throw new IOException("disk on fire") : ids };
        using var stop = new CancellationTokenSource();
        var worker = new WorkerHost(fixture.Context("w"), executor, Fast("w"));
        var running = worker.RunAsync(stop.Token);
        var failed = await WaitAsync(job, TimeSpan.FromSeconds(60));
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Contains(failed.Errors, e => e.Contains("shard 2", StringComparison.Ordinal) && e.Contains("disk on fire", StringComparison.Ordinal));

        fail = false;
        await job.RetryAsync();
        var progress = await WaitAsync(job, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await running;

        Assert.Equal(JobStatus.Completed, progress.Status);
        using var metrics = await Table.OpenAsync(progress.ResultUrl!);
        Assert.Equal(57, metrics.RowCount);
        Assert.DoesNotContain(metrics.Rows, r => (long)r["example_id"]! is 3 or 4 or 40);
    }

    [Fact(Timeout = 120_000)]
    public async Task Cancel_StopsLeasesAndPublishesNothing()
    {
        var context = fixture.Context();
        var input = await InputAsync("cancel", 100);
        await using var run = await Runs.InitAsync(context, "p", "cancel");
        var (spec, job) = await SubmitAsync(context, run, input, shardRows: 10);
        await job.LeaseAsync(new WorkerRef("w", "1"), 2);
        var cancelled = await job.CancelAsync();

        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.Empty((await job.LeaseAsync(new WorkerRef("w", "1"), 5)).Grants);
        Assert.DoesNotContain(spec.JobId, (await context.Client.GetGrain<IJobQueueGrain>(JobKeys.Queue).GetActiveAsync()).Select(j => j.Id));
        Assert.Contains(new JobRef(spec.JobId, JobKinds.Metrics), await context.Client.GetGrain<IJobQueueGrain>(JobKeys.Queue).GetAllAsync());
    }
}
