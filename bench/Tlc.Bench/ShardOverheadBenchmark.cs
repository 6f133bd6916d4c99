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
                var wall = await OnceAsync(size);
                Console.Error.WriteLine($"[bench] shards of {size}: {wall:F2} s, CPU {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F2} s");
            }
            return new BenchResult("shard sequence", "-", "-", 0, "-", true, sequence);
        }
        // Warm-up: one pass at each size (JIT, the model, the file paths).
        foreach (var size in ShardSizes)
        {
            await OnceAsync(size);
        }
        var times = ShardSizes.ToDictionary(s => s, _ => new List<double>());
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var size in round % 2 == 0 ? ShardSizes : ShardSizes.Reverse())
            {
                times[size].Add(await OnceAsync(size));
                Console.Error.WriteLine($"[bench] shards of {size}: {times[size][^1]:F2} s");
            }
        }
        int Shards(int size) => (int)((train.RowCount + size - 1) / size);
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        var baseline = Median(times[4096]);
        // Per extra shard, from each round's own times (the 4,096-row run of the same round as the baseline).
        var perShard = Enumerable.Range(0, Rounds).Select(r => (times[64][r] - times[4096][r]) / (Shards(64) - Shards(4096)) * 1000).Order().ToList();
        var per512 = (Median(times[512]) - baseline) / (Shards(512) - Shards(4096)) * 1000;
        var median = perShard[perShard.Count / 2];
        var text = string.Join(", ", ShardSizes.Select(s => $"{Shards(s)} shards of {s}: {string.Join("/", times[s].Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))} s"));
        return new BenchResult("collect_metrics cost per shard beyond its rows, Fashion-MNIST train (60,000 rows), 1 worker", $"{median:F2} ms per shard",
            $"4,096-row shards {baseline:F2} s", median, "≤ 1 ms per shard", median <= 1.0,
            $"(time with 938 shards of 64 rows − time with 15 of 4,096) ÷ 923, per round: min {perShard[0]:F2}, median {median:F2}, max {perShard[^1]:F2} ms; from 118 shards of 512 rows: {per512:F2} ms; " +
            $"{text} ({Rounds} alternating rounds after a warm-up pass at each size); CNN with classification + embeddings(9), batch {BatchSize}, embedded silo, one in-process worker; ratio = ms per shard (lower is better)");
    }
}
