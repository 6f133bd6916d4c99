using System.Globalization;
using System.Text.Json;
using Orleans.Runtime;
using Tlc.Metrics;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Tests;

/// <summary>
/// A soak on a cluster from <c>deploy/local-cluster</c> (3 silos, 2 workers, default settings): 200 small jobs back to
/// back — imports and collects — then 20 at once. No job gets stuck; the silos' and workers' memory and open file
/// descriptors stay flat between the 20th job and the last; finished jobs' grains deactivate; no chunk file is left that
/// no table references.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class SoakTests : IDisposable
{
    private const int BackToBack = 200;
    private const int AtOnce = 20;
    private const int Warm = 20;
    private static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(3);
    private readonly TempRoot _root = new("soak");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 40 * 60_000)]
    public async Task TwoHundredJobsBackToBackThenTwentyAtOnce_NoneStuck_MemoryAndDescriptorsFlat_NothingLeftBehind()
    {
        await using var cluster = await LocalCluster.UpAsync(Path.Combine(_root.Path, "state"), Path.Combine(_root.Path, "root"),
            allow: [_root.Path, Path.GetDirectoryName(Fixtures.FashionMnistCnnWeights)!]);
        var input = await ClusterCliSupport.ImportSubsetAsync(_root, 10, cluster.Root, cluster.Environment);
        var csv = Path.Combine(_root.Path, "small.csv");
        await File.WriteAllLinesAsync(csv, ["id,name,score", .. Enumerable.Range(0, 2_000).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},n{i % 17},{i * 0.5}"))]);

        var settings = TlcConfiguration.Load(configFile: cluster.ConfigFile);
        await using var connection = await ClusterConnection.ConnectAsync(settings, startSiloIfNone: false);
        var context = connection.Context;
        using var table = await Table.OpenAsync(input);
        var model = new ModelSpec(ModelKinds.Factory, "fashion-mnist-cnn", Url.FromLocalPath(Fixtures.FashionMnistCnnWeights).Value);
        CollectorSpec[] collectors = [new("classification", ClusterCliSupport.ClassesJson)];

        async Task JobAsync(int n)
        {
            try
            {
                if (n % 4 == 0)
                {
                    await using var run = await Runs.InitAsync(context, "soak", $"c{n}");
                    using var metrics = await run.CollectMetricsAsync(table, model, collectors, new CollectOptions { BatchSize = 25, ShardRows = 25 }).WaitAsync(JobLimit);
                    Assert.Equal(100, metrics.RowCount);
                }
                else
                {
                    using var imported = await ImportJob.ImportAsync(context, ImportSource.Csv(csv, new CsvImportOptions
                    {
                        Root = Url.FromLocalPath(cluster.Root), Settings = settings, Project = "soak", Dataset = "csv", Table = $"i{n}",
                    }), new ImportJobOptions { ChunkBytes = 8 << 10 }).WaitAsync(JobLimit);
                    Assert.Equal(2_000, imported.RowCount);
                }
            }
            catch (TimeoutException)
            {
                Assert.Fail($"job {n} ({(n % 4 == 0 ? "collect" : "import")}) did not finish in {JobLimit.TotalMinutes} min (stuck)");
            }
        }

        Dictionary<(string, int), (long Rss, int Fds)> warm = [], middle = [];
        for (var n = 1; n <= BackToBack; n++)
        {
            await JobAsync(n);
            if (n == Warm)
            {
                warm = await ResourcesAsync(cluster);
            }
            if (n == (Warm + BackToBack) / 2)
            {
                middle = await ResourcesAsync(cluster);
            }
        }
        var afterSequence = await ResourcesAsync(cluster);
        await Task.WhenAll(Enumerable.Range(BackToBack + 1, AtOnce).Select(JobAsync));
        var end = await ResourcesAsync(cluster);

        var report = string.Join("; ", end.Keys.OrderBy(k => k).Select(k =>
            $"{k.Item1} {k.Item2}: RSS {warm[k].Rss >> 20} → {afterSequence[k].Rss >> 20} → {end[k].Rss >> 20} MiB, fds {warm[k].Fds} → {afterSequence[k].Fds} → {end[k].Fds}"));
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Console.Error.WriteLine($"[soak] after job {Warm}, job {BackToBack} and {AtOnce} more at once: {report}");
        foreach (var (process, before) in warm)
        {
            // Flat: what the first 20 jobs left (JIT, pools, caches) is the plateau; 200 more jobs add no more than noise.
            Assert.True(end[process].Rss - before.Rss <= 64L << 20, $"{process}: RSS grew {(end[process].Rss - before.Rss) >> 20} MiB over {BackToBack - Warm + AtOnce} jobs\n{report}");
            // 180 jobs one after another leave no descriptor open (20 at once open more connections to storage for a while).
            // Pooled connections to storage come and go by a couple of dozen: a leak grows with the jobs, so the count must
            // be flat over the 180 jobs, or at least over their second half (a one-time step in the first half is no leak).
            var grown = afterSequence[process].Fds - before.Fds;
            var grownLater = afterSequence[process].Fds - middle[process].Fds;
            Assert.True(grown <= 16 || grownLater <= 8, $"{process}: open file descriptors grew from {before.Fds} (job {Warm}) to {middle[process].Fds} (job {(Warm + BackToBack) / 2}) to {afterSequence[process].Fds} (job {BackToBack})\n{report}");
        }

        // Finished jobs do not stay in memory: their segment grains deactivate once published, their job grains once they have
        // been idle for a while after the end.
        var management = context.Client.GetGrain<IManagementGrain>(0);
        async Task<Dictionary<string, int>> JobActivationsAsync() => (await management.GetSimpleGrainStatistics())
            .Where(s => s.GrainType.Split(',')[0] is "Tlc.Grains.Jobs.JobGrain" or "Tlc.Grains.Jobs.JobSegmentGrain")
            .GroupBy(s => s.GrainType.Split(',')[0]).ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount));
        var ended = System.Diagnostics.Stopwatch.StartNew();
        var activations = await JobActivationsAsync();
        Console.Error.WriteLine($"[soak] job activations right after {BackToBack + AtOnce} jobs: {string.Join(", ", activations.Select(a => $"{a.Key} {a.Value}"))}");
        while (activations.Values.Sum() > 0 && ended.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(2_000);
            activations = await JobActivationsAsync();
        }
        Console.Error.WriteLine($"[soak] job activations {ended.Elapsed.TotalSeconds:F0} s later: {string.Join(", ", activations.Select(a => $"{a.Key} {a.Value}"))}");
        Assert.True(activations.Values.Sum() == 0, $"grains of finished jobs stay active: {string.Join(", ", activations.Select(a => $"{a.Key} {a.Value}"))}");

        // The connections the 20 jobs at once opened are closed again once idle (pooled connections live a minute or two).
        var settled = await ResourcesAsync(cluster);
        for (var wait = 0; wait < 90 && settled.Any(p => p.Value.Fds - afterSequence[p.Key].Fds > 16); wait++)
        {
            await Task.Delay(2_000);
            settled = await ResourcesAsync(cluster);
        }
        var fds = string.Join("; ", settled.Keys.OrderBy(k => k).Select(k => $"{k.Item1} {k.Item2}: {afterSequence[k].Fds} → {end[k].Fds} → {settled[k].Fds}"));
        Console.Error.WriteLine($"[soak] open file descriptors after job {BackToBack}, after {AtOnce} at once, settled: {fds}");
        Assert.True(settled.All(p => p.Value.Fds - afterSequence[p.Key].Fds <= 16), $"open file descriptors stay up after the jobs at once: {fds}");

        // Nothing staged is left behind by jobs that succeeded (no tlc gc needed).
        var unreferenced = await LocalCluster.UnreferencedChunksAsync(cluster.Root);
        Assert.True(unreferenced.Count == 0, $"chunk files no table references: {string.Join(", ", unreferenced.Take(10))}");
    }

    /// <summary>Each silo's and worker's resident memory and open file descriptors (from /proc).</summary>
    private static async Task<Dictionary<(string, int), (long Rss, int Fds)>> ResourcesAsync(LocalCluster cluster)
    {
        var resources = new Dictionary<(string, int), (long, int)>();
        foreach (var (role, index, pid, alive) in await cluster.StatusAsync())
        {
            if (role is not ("silo" or "worker"))
            {
                continue;
            }
            Assert.True(alive, $"{role} {index} (PID {pid}) died during the soak; see {cluster.Log(role, index)}");
            var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
            var rss = long.Parse(status.Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) << 10;
            resources[(role, index)] = (rss, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length);
        }
        return resources;
    }
}
