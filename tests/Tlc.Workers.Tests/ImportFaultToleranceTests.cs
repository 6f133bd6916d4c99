using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Tlc.Cluster;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing;
using Tlc.Testing.Cluster;

namespace Tlc.Workers.Tests;

/// <summary>The tests of <see cref="ImportFaultToleranceTestsBase"/> on three silos with grain state on Azurite.</summary>
public sealed class ImportFaultToleranceTests() : ImportFaultToleranceTestsBase(ClusterProvider.Azure);

/// <summary>The tests of <see cref="ImportFaultToleranceTestsBase"/> on silos over Redis (membership, grain state, reminders).</summary>
public sealed class ImportFaultToleranceRedisTests() : ImportFaultToleranceTestsBase(ClusterProvider.Redis);

/// <summary>
/// Imports that lose a silo, or the whole Azurite-backed cluster, half-way: they publish the same table as one process,
/// and no chunk committed before the fault is converted again.
/// </summary>
public abstract class ImportFaultToleranceTestsBase(ClusterProvider provider) : IAsyncLifetime
{
    private readonly TempRoot _root = new("import-faults");
    private ClusterStore? _store;
    private readonly string _clusterId = $"ifault-{Guid.NewGuid():N}"[..20];
    private readonly ConcurrentDictionary<int, int> _conversions = new();

    public async ValueTask InitializeAsync() => _store = await ClusterStore.CreateAsync(provider, "importfaults");

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        _root.Dispose();
    }

    private ClusterFixture Cluster(short silos) => ClusterFixture.Over(_root, _store!, _clusterId, silos, TimeSpan.FromSeconds(8));

    private string WriteCsv(int rows)
    {
        var path = Path.Combine(_root.Path, "source.csv");
        var text = new StringBuilder("id,label,score,note\n");
        for (var i = 0; i < rows; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},class {i % 10},{i * 0.5},{(i % 5 == 0 ? "\"a, \"\"b\"\"\nc\"" : $"n{i}")}\n");
        }
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private CsvImportOptions Options(string table) => new() { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = table };

    /// <summary>Two workers converting slowly enough (a delay per chunk) for a fault to land mid-import; each conversion is counted.</summary>
    private List<(WorkerHost Host, Task Run)> StartWorkers(ClusterFixture cluster, CancellationToken stop) =>
        Enumerable.Range(1, 2).Select(i =>
        {
            var host = new WorkerHost(cluster.Context($"w{i}"), new ArithmeticExecutor(cluster.Context().Adapters), new WorkerOptions
            {
                WorkerId = $"w{i}", PollInterval = TimeSpan.FromMilliseconds(100), HeartbeatInterval = TimeSpan.FromSeconds(1),
            })
            {
                BeforeImportCommit = async (task, token) =>
                {
                    _conversions.AddOrUpdate(task.Chunk.Index, 1, (_, n) => n + 1);
                    await Task.Delay(150, token);
                },
            };
            return (host, host.RunAsync(stop));
        }).ToList();

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
            catch (Exception e) when (TransientClusterErrors.IsTransient(e) && DateTime.UtcNow < deadline)
            {
                // The cluster is recovering.
            }
            await Task.Delay(100);
        }
    }

    private static async Task<HashSet<int>> CommittedAsync(IClusterClient client, ImportJobSpec spec)
    {
        var infos = await Task.WhenAll(Enumerable.Range(0, spec.SegmentsFor(spec.Items)).Select(s => client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(spec.JobId, s)).GetItemsAsync()));
        return [.. infos.SelectMany(i => i).Where(i => i.Lease.Status == WorkStatus.Committed).Select(i => i.Index)];
    }

    [Fact(Timeout = 240_000)]
    public async Task KillSiloMidImport_SameTableAsOneProcess_CommittedChunksNotConvertedAgain()
    {
        var path = WriteCsv(6000);
        using var expected = await Table.FromCsvAsync(path, Options("single"));
        var cluster = Cluster(3);
        await cluster.InitializeAsync();
        try
        {
            var (plan, _) = await ImportJobs.PlanCsvAsync(path, Options("killed"), Guid.NewGuid().ToString("N"),
                new ImportJobOptions { ChunkBytes = 8 << 10, LeaseDuration = TimeSpan.FromSeconds(3), MaxAttempts = 5 });
            var spec = plan!.Spec;
            await ImportJob.SubmitAsync(cluster.Context(), plan);
            using var stop = new CancellationTokenSource();
            var workers = StartWorkers(cluster, stop.Token);
            await WaitAsync(() => cluster.Client, spec.JobId, p => p.ItemsCommitted >= 4, TimeSpan.FromSeconds(60));
            var before = await CommittedAsync(cluster.Client, spec);
            await cluster.Cluster.KillSiloAsync(cluster.Cluster.GetActiveSilos().First(s => s != cluster.Cluster.Primary));

            var done = await WaitAsync(() => cluster.Client, spec.JobId, p => p.IsFinished, TimeSpan.FromSeconds(150));
            await stop.CancelAsync();
            await Task.WhenAll(workers.Select(w => w.Run));

            Assert.Equal(JobStatus.Completed, done.Status);
            Assert.True(spec.Items > before.Count, "the kill landed mid-import");
            using var actual = await Table.OpenAsync(done.ResultUrl!);
            Assert.Equal(expected.ContentHash(), actual.ContentHash());
            Assert.All(before, index => Assert.Equal(1, _conversions[index]));
            Assert.Equal(spec.Items, _conversions.Count);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task WholeClusterRestartedMidImport_ResumesFromCommittedChunks_SameTable()
    {
        var path = WriteCsv(6000);
        using var expected = await Table.FromCsvAsync(path, Options("single"));
        ImportJobSpec spec;
        HashSet<int> before;
        var first = Cluster(2);
        await first.InitializeAsync();
        try
        {
            var (planned, _) = await ImportJobs.PlanCsvAsync(path, Options("restarted"), Guid.NewGuid().ToString("N"),
                new ImportJobOptions { ChunkBytes = 8 << 10, LeaseDuration = TimeSpan.FromSeconds(3), MaxAttempts = 5 });
            spec = planned!.Spec;
            await ImportJob.SubmitAsync(first.Context(), planned);
            using var stop = new CancellationTokenSource();
            var workers = StartWorkers(first, stop.Token);
            await WaitAsync(() => first.Client, spec.JobId, p => p.ItemsCommitted >= 4, TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await Task.WhenAll(workers.Select(w => w.Run));
            before = await CommittedAsync(first.Client, spec);
        }
        finally
        {
            // Every silo and client goes away; the state in the store (Azurite, Redis) stays.
            await first.DisposeAsync();
        }

        var second = Cluster(2);
        await second.InitializeAsync();
        try
        {
            using var stop = new CancellationTokenSource();
            var workers = StartWorkers(second, stop.Token);
            var done = await WaitAsync(() => second.Client, spec.JobId, p => p.IsFinished, TimeSpan.FromSeconds(150));
            await stop.CancelAsync();
            await Task.WhenAll(workers.Select(w => w.Run));

            Assert.Equal(JobStatus.Completed, done.Status);
            Assert.True(spec.Items > before.Count, "the restart landed mid-import");
            using var actual = await Table.OpenAsync(done.ResultUrl!);
            Assert.Equal(expected.ContentHash(), actual.ContentHash());
            Assert.All(before, index => Assert.Equal(1, _conversions[index]));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }
}
