using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Testing;
using Tlc.Testing.Cluster;
using TorchSharp;

namespace Tlc.Workers.Tests;

/// <summary>The tests of <see cref="CollectMetricsTests{TCluster}"/> on the three-silo cluster with grain state on Azurite.</summary>
public sealed class CollectMetricsTests(ClusterFixture fixture) : CollectMetricsTests<ClusterFixture>(fixture);

/// <summary>The tests of <see cref="CollectMetricsTests{TCluster}"/> on the three-silo cluster over Redis (membership, grain state, reminders).</summary>
public sealed class CollectMetricsRedisTests(RedisClusterFixture fixture) : CollectMetricsTests<RedisClusterFixture>(fixture);

/// <summary>Distributed collect_metrics on a three-silo cluster with two in-process workers, on real data with a trained model.</summary>
public abstract class CollectMetricsTests<TCluster>(TCluster fixture) : IClassFixture<TCluster>
    where TCluster : ClusterFixture
{
    private static readonly ModelSpec Model = new(ModelKinds.Factory, "fashion-mnist-cnn", Url.FromLocalPath(Fixtures.FashionMnistCnnWeights).Value);

    private static readonly CollectorSpec[] Collectors =
    [
        new("classification", $$"""{"classes": {{System.Text.Json.JsonSerializer.Serialize(Tlc.Metrics.FashionMnist.Classes)}}}"""),
        new("embeddings", """{"layers": [9], "dimensions": {"9": 128}}"""),
    ];

    private async Task<Table> TestSplitAsync() => await Table.FromImageFolderAsync(Fixtures.FashionMnistTestPngs, new ImageFolderImportOptions
    {
        Project = "fm", Dataset = "fashion-mnist", Table = "test", Root = fixture.Root.Url, Settings = fixture.Root.Settings,
    });

    [Fact(Timeout = 300_000)]
    public async Task CollectMetrics_TestSplitTwoWorkers_EveryIdOnce_AccuracyMatchesIndependentEvaluation()
    {
        torch.set_num_threads(1);
        var context = fixture.Context();
        using var table = await TestSplitAsync();
        await using var run = await Runs.InitAsync(context, "fm", "collect");
        await using var workers = InProcessWorkers.Start(context, 2, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(100) });
        var reports = new List<JobProgress>();

        using var metrics = await run.CollectMetricsAsync(table, Model, Collectors, new CollectOptions
        {
            Split = "test", Constants = new Dictionary<string, object?> { ["epoch"] = 2 }, BatchSize = 256, ShardRows = 1024,
            Progress = new Progress<JobProgress>(p => { lock (reports) { reports.Add(p); } }),
        });

        Assert.Equal(10_000, metrics.RowCount);
        var ids = metrics.Rows.Select(r => (long)r["example_id"]!).ToList();
        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => (long)i), ids);
        var accuracy = metrics.Rows.Average(r => (double)(float)r["accuracy"]!);
        var report = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(Fixtures.FashionMnistCnnWeights, ".json")))!;
        Assert.Equal((double)report["test_accuracy"]!, accuracy, 1e-6);
        Assert.Equal(128, ((float[])metrics.Rows[0]["embeddings_9"]!).Length);
        Assert.Equal(2, metrics.Rows[0]["epoch"]);
        Assert.True(workers.Hosts.All(w => w.ShardsCommitted > 0), "both workers computed shards");
        var info = await run.GetInfoAsync();
        Assert.Equal(accuracy, info.LatestAggregates["test_accuracy_avg"], 1e-6);
        Assert.Equal(2, info.LatestAggregates["epoch"]);
        Assert.Equal(metrics.Url.Value, Assert.Single(info.MetricsTables).Url);
        Assert.Contains(reports, p => p.RowsCommitted > 0 && p.RowsCommitted < 10_000);
    }

    [Fact(Timeout = 300_000)]
    public async Task Executor_JobForgottenWhileItsShardRuns_ShardCompletes_NextShardLoadsAgain()
    {
        // Found by the chaos run: a worker whose call to the queue failed (a silo died) took the job for ended, and the model
        // and inference thread its running shard used were disposed under it.
        torch.set_num_threads(1);
        var context = fixture.Context();
        using var table = await (await TestSplitAsync()).SubsetAsync([(0, 1024)], new DerivedTableOptions { Name = "test-1024", IfExists = IfExists.Reuse });
        await using var run = await Runs.InitAsync(context, "fm", "forgotten");
        var handle = await MetricsJob.SubmitAsync(run, table, Model, Collectors, new CollectOptions { BatchSize = 128, ShardRows = 512 });
        var job = context.Client.GetGrain<IJobGrain>(handle.Id);
        var spec = (MetricsJobSpec)(await job.GetSpecAsync())!;
        var grants = (await job.LeaseAsync(new WorkerRef("forgetful", "1"), 2)).Grants;
        Assert.Equal(2, grants.Length);
        using var executor = new MetricsShardExecutor(context.Adapters);
        ShardTask Task(LeaseGrant grant) => new(spec, (PartPlan)(grant.Plan ?? spec.ImpliedPlan(grant.Item))!, grant,
            new Url(spec.MetricsTableUrl).Join($"chunks/shard-{grant.Item:D5}-test.arrow"));

        var running = executor.ExecuteAsync(Task(grants[0]), CancellationToken.None);
        executor.Forget(spec.JobId);
        var output = await running;
        var next = await executor.ExecuteAsync(Task(grants[1]), CancellationToken.None);

        Assert.Equal((512L, 512L), (output.Rows, next.Rows));
    }

    [Fact(Timeout = 300_000)]
    public async Task InProcessLiveModule_EqualsClusterSpec_SameContentHash()
    {
        torch.set_num_threads(1);
        var context = fixture.Context();
        using var table = await (await TestSplitAsync()).SubsetAsync([(0, 2048)], new DerivedTableOptions { Name = "test-2048", IfExists = IfExists.Reuse });
        await using var run = await Runs.InitAsync(context, "fm", "same");
        await using var workers = InProcessWorkers.Start(context, 2, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(100) });
        var options = new CollectOptions { BatchSize = 128, ShardRows = 512 };
        using var distributed = await run.CollectMetricsAsync(table, Model, Collectors, options);

        // The same model as a live module, with live collectors: no specs cross any process.
        var collectors = CollectorRegistry.Default.Create(Collectors);
        using var predictor = ModelRegistry.Default.CreatePredictor(Model, ModelContext.For(collectors, context.Adapters));
        using var local = await run.CollectMetricsAsync(table, predictor, collectors, options);

        Assert.Equal(2048, local.RowCount);
        Assert.Equal(distributed.ContentHash(), local.ContentHash());
        Assert.Equal(2, (await run.GetInfoAsync()).MetricsTables.Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task BadSpecs_CheckedBeforeSubmission_OrFailTheShardAtOnceWithoutRetries()
    {
        var context = fixture.Context();
        using var table = await TestSplitAsync();
        await using var run = await Runs.InitAsync(context, "fm", "bad-specs");
        var jobsBefore = (await JobHandle.ListAsync(context)).Count;
        var unknownCollector = await Assert.ThrowsAnyAsync<ArgumentException>(() => run.CollectMetricsAsync(table, Model, [new CollectorSpec("confusion")]));
        Assert.Contains("'confusion'", unknownCollector.Message, StringComparison.Ordinal);
        var missingFile = await Assert.ThrowsAsync<MetricsSpecException>(() => run.CollectMetricsAsync(table,
            new ModelSpec(ModelKinds.Onnx, "resnet", "/no/such/model.onnx"), Collectors));
        Assert.Contains("/no/such/model.onnx does not exist; nothing was submitted", missingFile.Message, StringComparison.Ordinal);
        Assert.Equal(jobsBefore, (await JobHandle.ListAsync(context)).Count);

        // A model factory only workers could know of: the client cannot check it, the first shard's error is permanent.
        await using var workers = InProcessWorkers.Start(context, 1, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(100) });
        var failed = await Assert.ThrowsAsync<JobFailedException>(() => run.CollectMetricsAsync(table,
            new ModelSpec(ModelKinds.Factory, "no-such-model"), Collectors, new CollectOptions { MaxAttempts = 3, ShardRows = 4096, BatchSize = 256 }));
        Assert.Contains("no-such-model", failed.Message, StringComparison.Ordinal);
        Assert.Equal(JobStatus.Failed, failed.Progress.Status);
        Assert.Equal(0, failed.Progress.Retries);
        // The shards the worker was computing at once each failed once; none was tried again.
        Assert.InRange(failed.Progress.Errors.Count(e => e.Contains("attempt 1 by", StringComparison.Ordinal)), 1, WorkerOptions.DefaultConcurrentShards);
        Assert.DoesNotContain(failed.Progress.Errors, e => e.Contains("attempt 2", StringComparison.Ordinal));
        Assert.Empty((await run.GetInfoAsync()).MetricsTables);
    }

    [Fact(Timeout = 300_000)]
    public async Task CollectAndImportAtOnce_OneWorkerWithDefaultOptions_BothJobsComplete()
    {
        // One worker leases both kinds at once: each kind's lane fills, frees and fills again many times while the other's long
        // poll runs (a wait left behind on the worker's demand signal once stole a release, and the worker stopped leasing).
        torch.set_num_threads(1);
        var context = fixture.Context();
        using var table = await TestSplitAsync();
        var csv = Path.Combine(fixture.Root.Path, "both-kinds.csv");
        await File.WriteAllLinesAsync(csv, ["id,name,score", .. Enumerable.Range(0, 20_000).Select(i => $"{i},n{i % 17},{i * 0.5}")]);
        await using var run = await Runs.InitAsync(context, "fm", "both-kinds");
        await using var workers = InProcessWorkers.Start(context, 1);

        var collect = run.CollectMetricsAsync(table, Model, Collectors, new CollectOptions { BatchSize = 64, ShardRows = 256 });
        var import = ImportJob.ImportAsync(context, Tlc.Tables.Import.Jobs.ImportSource.Csv(csv, new CsvImportOptions
        {
            Root = fixture.Root.Url, Settings = fixture.Root.Settings, Project = "p", Dataset = "both", Table = "csv",
        }), new Tlc.Tables.Import.Jobs.ImportJobOptions { ChunkBytes = 8 << 10 });
        using var metrics = await collect;
        using var imported = await import;

        Assert.Equal(10_000, metrics.RowCount);
        Assert.Equal(20_000, imported.RowCount);
        Assert.Equal(40, workers.Hosts[0].ShardsCommitted);
    }
}
