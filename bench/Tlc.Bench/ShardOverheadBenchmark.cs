using System.Diagnostics;
using System.Globalization;
using Tlc.Metrics;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import;
using Tlc.Workers;
using Table = Tlc.Tables.Table;

namespace Tlc.Bench;

/// <summary>
/// What a shard costs beyond its rows: collect_metrics over the 60,000-row Fashion-MNIST train table with the trained CNN
/// (classification + embeddings) on the embedded silo with one in-process worker, in shards of 4,096, 512 and 64 rows
/// (15, 118 and 938 shards) in the same run, alternating; the extra time of the smaller shards over the 4,096-row ones,
/// per extra shard.
/// </summary>
internal static class ShardOverheadBenchmark
{
    private const int BatchSize = 64;
    private static readonly int[] ShardSizes = [4096, 512, 64];
    private static readonly int Rounds = int.Parse(Environment.GetEnvironmentVariable("BENCH_REPEATS") ?? "5", CultureInfo.InvariantCulture);

    /// <summary>Each thread's name and CPU seconds (user + system) from /proc/self/task.</summary>
    private static Dictionary<int, (string Name, double Seconds)> ThreadTimes()
    {
        var result = new Dictionary<int, (string, double)>();
        foreach (var dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                var user = long.Parse(fields[11], CultureInfo.InvariantCulture);
                var system = long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close] + (Environment.GetEnvironmentVariable("BENCH_SYSTEM_TIME") is "1" ? " (sys)" : ""), (Environment.GetEnvironmentVariable("BENCH_SYSTEM_TIME") is "1" ? system : user + system) / 100.0);
            }
            catch (IOException)
            {
                // The thread ended.
            }
        }
        return result;
    }

    public static async Task<BenchResult> RunAsync()
    {
        var weights = Path.Combine(BenchContext.FixtureRoot(), "models", "fashion-mnist-cnn.dat");
        if (!File.Exists(weights))
        {
            throw new FileNotFoundException($"The shard benchmark needs the trained model {weights}: run tests/fixtures/prepare.sh and set TLC_TEST_FIXTURES.");
        }
        var root = Path.Combine(BenchContext.Scratch, "shards");
        var settings = new TlcOptions { Root = root };
        using var train = await FashionMnist.ImportIdxAsync("/usr/share/datasets/fashion-mnist", "train", new ImportOptions
        {
            Project = "bench", Dataset = "fashion-mnist", Table = "train", Root = Url.FromLocalPath(root), Settings = settings, IfExists = IfExists.Reuse,
        });
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var context = connection.Context;
        await using var run = await Runs.InitAsync(context, "bench", "shards", ifExists: RunIfExists.Overwrite);
        // BENCH_SLOTS=N overrides the worker's shards at once (default: the worker's default).
        var slots = Environment.GetEnvironmentVariable("BENCH_SLOTS") is { Length: > 0 } n ? new WorkerOptions { MaxConcurrentShards = int.Parse(n, CultureInfo.InvariantCulture) } : null;
        await using var workers = InProcessWorkers.Start(context, 1, slots);
        var model = new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, Url.FromLocalPath(weights).Value);
        CollectorSpec[] collectors =
        [
            new("classification", $$"""{"classes": {{System.Text.Json.JsonSerializer.Serialize(FashionMnist.Classes)}}}"""),
            new("embeddings", """{"layers": [9], "dimensions": {"9": 128}}"""),
        ];
        async Task<double> OnceAsync(int shardRows)
        {
            var watch = Stopwatch.StartNew();
            using var metrics = await run.CollectMetricsAsync(train, model, collectors, new CollectOptions { BatchSize = BatchSize, ShardRows = shardRows, CollectAggregates = false });
            watch.Stop();
            if (metrics.RowCount != train.RowCount)
            {
                throw new InvalidOperationException($"{metrics.RowCount} metrics rows for {train.RowCount}.");
            }
            return watch.Elapsed.TotalSeconds;
        }
        // BENCH_SHARD_SEQUENCE=4096,512,512,... times one job per size in that order and stops, BENCH_SHARD_PAUSE_MS apart
        // (to study how a job's time depends on the one before it).
        if (Environment.GetEnvironmentVariable("BENCH_SHARD_SEQUENCE") is { Length: > 0 } sequence)
        {
            var pause = int.Parse(Environment.GetEnvironmentVariable("BENCH_SHARD_PAUSE_MS") ?? "0", CultureInfo.InvariantCulture);
            foreach (var size in sequence.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)))
            {
                await Task.Delay(pause);
                var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                var threadsBefore = ThreadTimes();
                var threadsAfter = new Dictionary<int, (string Name, double Seconds)>(threadsBefore);
                using var sampling = new CancellationTokenSource();
                var sampler = Task.Run(async () =>
                {
                    while (!sampling.IsCancellationRequested)
                    {
                        foreach (var (id, t) in ThreadTimes())
                        {
                            threadsAfter[id] = t;
                        }
                        await Task.Delay(100);
                    }
                });
                var wall = await OnceAsync(size);
                await sampling.CancelAsync();
                await sampler;
                foreach (var (id, t) in ThreadTimes())
                {
                    threadsAfter[id] = t;
                }
                var byName = threadsAfter.GroupBy(t => t.Value.Name).Select(g => (g.Key, Seconds: g.Sum(t => t.Value.Seconds - (threadsBefore.TryGetValue(t.Key, out var b) ? b.Seconds : 0))))
                    .Where(g => g.Seconds > 0.05).OrderByDescending(g => g.Seconds);
                Console.Error.WriteLine($"[bench]   CPU by thread: {string.Join(", ", byName.Select(g => $"{g.Key} {g.Seconds:F2}"))}");
                using var process = System.Diagnostics.Process.GetCurrentProcess();
                Console.Error.WriteLine($"[bench] shards of {size}: {wall:F2} s, CPU {(process.TotalProcessorTime - cpu).TotalSeconds:F2} s, " +
                    $"threads {process.Threads.Count}, gen2 GCs {GC.CollectionCount(2)}, GC pauses {GC.GetTotalPauseDuration().TotalSeconds:F2} s, heap {GC.GetTotalMemory(false) >> 20} MiB, working set {process.WorkingSet64 >> 20} MiB");
            }
            return new BenchResult("shard sequence", "-", "-", 0, "-", true, sequence);
        }
        // Warm-up: one pass at each size (JIT, the model, the file paths).
        foreach (var size in ShardSizes)
        {
            await OnceAsync(size);
        }
        // A speed probe between jobs shows whether the machine kept its speed through the run (it is reported, not used to
        // correct the times).
        var times = ShardSizes.ToDictionary(s => s, _ => new List<double>());
        var probes = new List<double> { SpeedProbe.Measure() };
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var size in round % 2 == 0 ? ShardSizes : ShardSizes.Reverse())
            {
                times[size].Add(await OnceAsync(size));
                probes.Add(SpeedProbe.Measure());
                Console.Error.WriteLine($"[bench] shards of {size}: {times[size][^1]:F2} s (speed probe {probes[^1] * 1000:F0} ms)");
            }
        }
        int Shards(int size) => (int)((train.RowCount + size - 1) / size);
        double Median(IEnumerable<double> values) { var sorted = values.Order().ToList(); return sorted[sorted.Count / 2]; }
        // Per extra shard, from each round's own times (the 4,096-row job of the same round as the baseline).
        List<double> PerShard(int size) => Enumerable.Range(0, Rounds).Select(r => (times[size][r] - times[4096][r]) / (Shards(size) - Shards(4096)) * 1000).Order().ToList();
        var perShard = PerShard(64);
        var per512 = PerShard(512);
        var median = perShard[perShard.Count / 2];
        var baseline = Median(times[4096]);
        var text = string.Join(", ", ShardSizes.Select(s => $"{Shards(s)} shards of {s}: {string.Join("/", times[s].Select(v => v.ToString("F2", CultureInfo.InvariantCulture)))} s"));
        return new BenchResult("collect_metrics cost per shard beyond its rows, Fashion-MNIST train (60,000 rows), 1 worker", $"{median:F2} ms per shard",
            $"4,096-row shards {baseline:F2} s", median, "≤ 1 ms per shard", median <= 1.0,
            $"(time with 938 shards of 64 rows − time with 15 of 4,096) ÷ 923, per round: min {perShard[0]:F2}, median {median:F2}, max {perShard[^1]:F2} ms; " +
            $"from 118 shards of 512 rows: median {per512[per512.Count / 2]:F2} ms; {text}; speed probe between jobs (a fixed integer loop on both cores) " +
            $"{probes.Min() * 1000:F0}–{probes.Max() * 1000:F0} ms; {Rounds} alternating rounds after a warm-up pass at each size; CNN with classification + " +
            $"embeddings(9), batch {BatchSize}, embedded silo, one in-process worker, {slots?.MaxConcurrentShards ?? WorkerOptions.DefaultConcurrentShards} shards at once; ratio = ms per shard (lower is better)");
    }
}
