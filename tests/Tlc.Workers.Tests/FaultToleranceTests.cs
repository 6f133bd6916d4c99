using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Testing;
using Tlc.Testing.Cluster;

namespace Tlc.Workers.Tests;

/// <summary>The tests of <see cref="FaultToleranceTestsBase"/> on three silos with grain state on Azurite.</summary>
public sealed class FaultToleranceTests() : FaultToleranceTestsBase(ClusterProvider.Azure);

/// <summary>The tests of <see cref="FaultToleranceTestsBase"/> on silos over Redis (membership, grain state, reminders).</summary>
public sealed class FaultToleranceRedisTests() : FaultToleranceTestsBase(ClusterProvider.Redis);

/// <summary>Jobs that lose a silo, or the whole cluster, half-way: they complete with the same metrics table as a fault-free run.</summary>
public abstract class FaultToleranceTestsBase(ClusterProvider provider) : IAsyncLifetime
{
    private readonly TempRoot _root = new("faults");
    private ClusterStore? _store;
    private readonly string _clusterId = $"fault-{Guid.NewGuid():N}"[..20];

    public async ValueTask InitializeAsync() => _store = await ClusterStore.CreateAsync(provider, "faults");

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        _root.Dispose();
    }

    private ClusterFixture Cluster(short silos = 3) => ClusterFixture.Over(_root, _store!, _clusterId, silos, TimeSpan.FromSeconds(8));

    private async Task<Table> InputAsync(int rows)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["x"] = new Float64Schema() },
            Project = "p", Dataset = "d", Table = "input", Root = _root.Url, Settings = _root.Settings, IfExists = IfExists.Reuse,
        });
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["x"] = i * 0.25 });
        }
        return await writer.FinalizeAsync();
    }

    private static async Task<MetricsJobSpec> SubmitAsync(ClusterContext context, Run run, Table table, string name)
    {
        var jobId = Guid.NewGuid().ToString("N");
        var spec = new MetricsJobSpec
        {
            JobId = jobId,
            Items = MetricsJobSpec.ShardCount(table.RowCount, 50),
            ShardRows = 50,
            BatchSize = 1,
            RequireFullCoverage = true,
            TableUrl = table.Url.Value,
            TableObjectId = table.Object.Id,
            TableRows = table.RowCount,
            Model = new ModelSpec(ModelKinds.Factory, "arithmetic"),
            Collectors = [],
            RunKey = run.Key,
            MetricsTableUrl = run.Url.Join($"metrics/{name}").Value,
            StreamName = name,
            OutputSchemaJson = ArithmeticExecutor.OutputSchema().ToJson().ToJsonString(),
            LeaseDuration = TimeSpan.FromSeconds(3),
            MaxAttempts = 5,
            Submitted = DateTimeOffset.UtcNow,
        };
        // Submission is idempotent by job id: retried when a busy cluster answers late.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await context.Client.GetGrain<IJobGrain>(jobId).SubmitAsync(spec);
                return spec;
            }
            catch (TimeoutException) when (attempt < 3)
            {
            }
        }
    }

    private static async Task<JobProgress> WaitAsync(Func<IClusterClient> client, string jobId, Func<JobProgress, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var progress = await client().GetGrain<IJobGrain>(jobId).GetProgressAsync();
                if (until(progress) || DateTime.UtcNow > deadline)
                {
                    return progress;
                }
            }
            catch (Exception e) when (e is TimeoutException or OrleansException && DateTime.UtcNow < deadline)
            {
                // The cluster is recovering.
            }
            await Task.Delay(100);
        }
    }

    private static List<(WorkerHost Host, Task Run)> StartWorkers(ClusterFixture cluster, ArithmeticExecutor executor, CancellationToken stop) =>
        Enumerable.Range(1, 2).Select(i =>
        {
            var host = new WorkerHost(cluster.Context($"w{i}"), executor, new WorkerOptions
            {
                WorkerId = $"w{i}", PollInterval = TimeSpan.FromMilliseconds(100), HeartbeatInterval = TimeSpan.FromSeconds(1),
            });
            return (host, host.RunAsync(stop));
        }).ToList();

    [Fact(Timeout = 240_000)]
    public async Task KillSiloMidJob_JobCompletes_SameTableAsFaultFree()
    {
        var cluster = Cluster();
        await cluster.InitializeAsync();
        try
        {
            var context = cluster.Context();
            var input = await InputAsync(600);
            await using var run = await Runs.InitAsync(context, "p", "kill");
            var executor = new ArithmeticExecutor(context.Adapters) { Delay = TimeSpan.FromMilliseconds(150) };
            using var stop = new CancellationTokenSource();
            var workers = StartWorkers(cluster, executor, stop.Token);

            var clean = await SubmitAsync(context, run, input, "clean");
            var cleanDone = await WaitAsync(() => cluster.Client, clean.JobId, p => p.IsFinished, TimeSpan.FromSeconds(90));
            Assert.Equal(JobStatus.Completed, cleanDone.Status);

            var faulty = await SubmitAsync(context, run, input, "faulty");
            await WaitAsync(() => cluster.Client, faulty.JobId, p => p.ItemsCommitted >= 3, TimeSpan.FromSeconds(60));
            var victim = cluster.Cluster.GetActiveSilos().First(s => s != cluster.Cluster.Primary);
            await cluster.Cluster.KillSiloAsync(victim);
            var done = await WaitAsync(() => cluster.Client, faulty.JobId, p => p.IsFinished, TimeSpan.FromSeconds(150));
            await stop.CancelAsync();
            await Task.WhenAll(workers.Select(w => w.Run));

            Assert.Equal(JobStatus.Completed, done.Status);
            using var expected = await Table.OpenAsync(cleanDone.ResultUrl!);
            using var actual = await Table.OpenAsync(done.ResultUrl!);
            Assert.Equal(600, actual.RowCount);
            Assert.Equal(expected.ContentHash(), actual.ContentHash());
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task WholeClusterRestartedMidJob_JobResumesAndCompletes()
    {
        var first = Cluster(2);
        await first.InitializeAsync();
        string jobId;
        string runUrl;
        int committedBefore;
        var executor = new ArithmeticExecutor(new Tables.Urls.UrlAdapterRegistry()) { Delay = TimeSpan.FromMilliseconds(200) };
        try
        {
            var context = first.Context();
            var input = await InputAsync(500);
            await using var run = await Runs.InitAsync(context, "p", "restart");
            runUrl = run.Url.Value;
            jobId = (await SubmitAsync(context, run, input, "restarted")).JobId;
            using var stop = new CancellationTokenSource();
            var workers = StartWorkers(first, executor, stop.Token);
            committedBefore = (await WaitAsync(() => first.Client, jobId, p => p.ItemsCommitted >= 3, TimeSpan.FromSeconds(60))).ItemsCommitted;
            await stop.CancelAsync();
            await Task.WhenAll(workers.Select(w => w.Run));
        }
        finally
        {
            // Every silo and client goes away; the state in the store (Azurite, Redis) stays.
            await first.DisposeAsync();
        }
        var executionsBefore = executor.Executions;

        var second = Cluster(2);
        await second.InitializeAsync();
        try
        {
            using var stop = new CancellationTokenSource();
            var workers = StartWorkers(second, executor, stop.Token);
            var done = await WaitAsync(() => second.Client, jobId, p => p.IsFinished, TimeSpan.FromSeconds(120));
            await stop.CancelAsync();
            await Task.WhenAll(workers.Select(w => w.Run));

            Assert.Equal(JobStatus.Completed, done.Status);
            using var metrics = await Table.OpenAsync(done.ResultUrl!);
            Assert.Equal(500, metrics.RowCount);
            Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), metrics.Rows.Select(r => (long)r["example_id"]!));
            // Committed shards were not computed again: at most the in-flight ones were redone.
            Assert.True(executor.Executions - executionsBefore <= 10 - committedBefore + 2,
                $"{executor.Executions - executionsBefore} executions after the restart for {10 - committedBefore} remaining shards");
            Assert.Single((await second.Client.GetGrain<IRunGrain>("p/restart").GetAsync()).MetricsTables);
            _ = runUrl;
        }
        finally
        {
            await second.DisposeAsync();
        }
    }
}
