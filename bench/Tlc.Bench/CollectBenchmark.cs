using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import;
using Tlc.Workers;
using TorchSharp;
using static TorchSharp.torch;
using Table = Tlc.Tables.Table;

namespace Tlc.Bench;

/// <summary>
/// Distributed collect_metrics (embedded silo, in-process workers, the job/part/sink grains, chunk files, publication)
/// over the Fashion-MNIST test split with the trained CNN, against a bare single-process TorchSharp loop doing the same
/// reads, decoding, batching and model over the same rows: throughput ratio.
/// </summary>
internal static class CollectBenchmark
{
    private const int BatchSize = 256;
    private const int ShardRows = 1024;
    // The device both sides run the model on (BENCH_DEVICE: cpu, cuda, cuda:N; deploy/gpu-check.sh sets cuda). Default: cpu.
    private static readonly string DeviceName = Environment.GetEnvironmentVariable("BENCH_DEVICE") ?? Devices.Cpu;
    private static readonly int Repeats = int.Parse(Environment.GetEnvironmentVariable("BENCH_REPEATS") ?? "5", CultureInfo.InvariantCulture);

    private static readonly CollectorSpec[] Collectors =
    [
        new("classification", $$"""{"classes": {{System.Text.Json.JsonSerializer.Serialize(FashionMnist.Classes)}}}"""),
        new("embeddings", """{"layers": [9], "dimensions": {"9": 128}}"""),
    ];

    /// <summary>The worker layout measured: worker count and decode threads per worker (the rest is the same).</summary>
    private sealed record Layout(int Workers, int TorchThreads)
    {
        public override string ToString() => $"{Workers} worker(s) × {Math.Max(1, Environment.ProcessorCount / Workers)} decode thread(s), {TorchThreads} torch thread(s)";
    }

    public static Task<BenchResult> RunAsync() => RunAsync(Layouts().ElementAt(int.Parse(Environment.GetEnvironmentVariable("BENCH_LAYOUT") ?? "0", CultureInfo.InvariantCulture)));

    /// <summary>Measures every layout (to choose the benchmark's), printing each.</summary>
    public static async Task<BenchResult> ExploreAsync()
    {
        BenchResult? best = null;
        foreach (var layout in Layouts())
        {
            var result = await RunAsync(layout);
            Console.WriteLine($"  {layout}: {result.Figure} vs {result.Baseline} → {result.Ratio:F2}");
            if (best is null || result.Ratio > best.Ratio)
            {
                best = result;
            }
        }
        return best!;
    }

    private static IEnumerable<Layout> Layouts()
    {
        var cores = Environment.ProcessorCount;
        // The benchmark's layout first (see docs/benchmarks.md): two workers, each with one decode thread and torch single-threaded.
        yield return new Layout(2, 1);
        yield return new Layout(2, cores);
        yield return new Layout(1, cores);
        yield return new Layout(1, 1);
    }

    private static async Task<BenchResult> RunAsync(Layout layout)
    {
        var weights = Path.Combine(BenchContext.FixtureRoot(), "models", "fashion-mnist-cnn.dat");
        var pngs = Path.Combine(BenchContext.FixtureRoot(), "fashion-mnist-png", "test");
        if (!File.Exists(weights) || !Directory.Exists(pngs))
        {
            throw new FileNotFoundException($"The collect benchmark needs the prepared fixtures ({weights}, {pngs}): run tests/fixtures/prepare.sh and set TLC_TEST_FIXTURES.");
        }
        var root = Path.Combine(BenchContext.Scratch, "collect");
        var settings = new TlcOptions { Root = root };
        using var table = await Table.FromImageFolderAsync(pngs, new ImageFolderImportOptions
        {
            Project = "bench", Dataset = "fashion-mnist", Table = "test", Root = Url.FromLocalPath(root), Settings = settings, IfExists = IfExists.Reuse,
        });
        var decodeThreads = Math.Max(1, Environment.ProcessorCount / layout.Workers);
        var previousThreads = torch.get_num_threads();
        torch.set_num_threads(layout.TorchThreads);
        try
        {
            // Warm-ups (JIT, the model and file paths), then bare and cluster runs alternating so both see the same machine load.
            var labels = LabelMap(table);
            var bareCorrect = Bare(table, weights, labels, Environment.ProcessorCount).Correct;
            await using var connection = await ClusterConnection.ConnectAsync(settings);
            var context = connection.Context;
            await using var run = await Runs.InitAsync(context, "bench", "collect", ifExists: RunIfExists.Overwrite);
            await using var workers = InProcessWorkers.Start(context, layout.Workers);
            var model = new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, Url.FromLocalPath(weights).Value, Device: DeviceName);
            var options = new CollectOptions { Split = "test", BatchSize = BatchSize, ShardRows = ShardRows };
            async Task<double> ClusterOnce()
            {
                var watch = Stopwatch.StartNew();
                using var metrics = await run.CollectMetricsAsync(table, model, Collectors, options);
                watch.Stop();
                if (metrics.RowCount != table.RowCount)
                {
                    throw new InvalidOperationException($"The metrics table has {metrics.RowCount} rows, not {table.RowCount}.");
                }
                var correct = metrics.Rows.Sum(r => (double)(float)r["accuracy"]!);
                if ((long)correct != bareCorrect)
                {
                    throw new InvalidOperationException($"The cluster found {correct} correct, the bare loop {bareCorrect}.");
                }
                return watch.Elapsed.TotalSeconds;
            }
            // Warm up until a pass JIT-compiles next to nothing (tiered compilation promotes hot methods for several
            // passes, and on 2 cores its background compiles take CPU from the workers): steady state on both sides.
            var warmups = 1;
            for (var settled = false; !settled && warmups < MaxWarmups; warmups++)
            {
                var before = System.Runtime.JitInfo.GetCompiledMethodCount();
                await ClusterOnce();
                Bare(table, weights, labels, Environment.ProcessorCount);
                await Task.Delay(200); // let the call-counting delay pass so pending promotions are counted
                var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - before;
                Console.Error.WriteLine($"[bench] collect warm-up pass {warmups}: {compiled} methods compiled");
                settled = compiled < SettledJitMethods;
            }
            var cluster = new List<double>();
            var bareBy = BareThreads().ToDictionary(t => t, _ => new List<double>());
            for (var i = 0; i < Repeats; i++)
            {
                foreach (var (threads, times) in bareBy)
                {
                    torch.set_num_threads(threads);
                    var cpu = CpuSeconds();
                    times.Add(Bare(table, weights, labels, Environment.ProcessorCount).Seconds);
                    Console.Error.WriteLine($"[bench] bare ({threads} torch thread(s)): {times[^1]:F2} s, {CpuSeconds() - cpu:F2} CPU s");
                }
                torch.set_num_threads(layout.TorchThreads);
                var clusterCpu = CpuSeconds();
                cluster.Add(await ClusterOnce());
                Console.Error.WriteLine($"[bench] cluster: {cluster[^1]:F2} s, {CpuSeconds() - clusterCpu:F2} CPU s");
            }
            // The baseline is the bare loop at its best torch thread count.
            var (bareThreads, bare) = bareBy.MinBy(kv => kv.Value.Min());
            var rows = table.RowCount;
            var clusterRate = rows / cluster.Min();
            var bareRate = rows / bare.Min();
            var ratio = clusterRate / bareRate;
            return new BenchResult($"Cluster collect_metrics, Fashion-MNIST test ({rows:N0} rows), CNN", $"{clusterRate:F0} rows/s", $"bare TorchSharp loop {bareRate:F0} rows/s ({bareThreads} torch thread(s))",
                ratio, "≥ 0.90 of the bare loop", ratio >= 0.90,
                $"{layout}; device {DeviceName}; batch {BatchSize}, shards of {ShardRows}; classification + embeddings(9); embedded silo; best of {Repeats} alternating runs after {warmups} warm-up passes (until a pass JIT-compiles < {SettledJitMethods} methods) " +
                $"(cluster {Spread(cluster)}, bare {Spread(bare)}); both read the PNG files through table.Sample and load the weights");
        }
        finally
        {
            torch.set_num_threads(previousThreads);
        }
    }

    /// <summary>Where the time of one cluster collect goes (diagnostics): progress polled every 5 ms, phases printed.</summary>
    public static async Task PhasesAsync()
    {
        var layout = Layouts().ElementAt(int.Parse(Environment.GetEnvironmentVariable("BENCH_LAYOUT") ?? "0", CultureInfo.InvariantCulture));
        var weights = Path.Combine(BenchContext.FixtureRoot(), "models", "fashion-mnist-cnn.dat");
        var pngs = Path.Combine(BenchContext.FixtureRoot(), "fashion-mnist-png", "test");
        var root = Path.Combine(BenchContext.Scratch, "collect");
        var settings = new TlcOptions { Root = root };
        using var table = await Table.FromImageFolderAsync(pngs, new ImageFolderImportOptions
        {
            Project = "bench", Dataset = "fashion-mnist", Table = "test", Root = Url.FromLocalPath(root), Settings = settings, IfExists = IfExists.Reuse,
        });
        torch.set_num_threads(layout.TorchThreads);
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var context = connection.Context;
        await using var run = await Runs.InitAsync(context, "bench", "phases", ifExists: RunIfExists.Overwrite);
        await using var workers = InProcessWorkers.Start(context, layout.Workers);
        var model = new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, Url.FromLocalPath(weights).Value, Device: DeviceName);
        for (var i = 0; i < Repeats; i++)
        {
            var marks = new List<(double, string)>();
            var watch = Stopwatch.StartNew();
            var progress = new SynchronousProgress(p => marks.Add((watch.Elapsed.TotalMilliseconds, $"{p.Status} leased {p.ItemsLeased} committed {p.ItemsCommitted}")));
            using var metrics = await run.CollectMetricsAsync(table, model, Collectors, new CollectOptions
            {
                Split = "test", BatchSize = BatchSize, ShardRows = ShardRows, Progress = progress, ProgressInterval = TimeSpan.FromMilliseconds(5),
            });
            marks.Add((watch.Elapsed.TotalMilliseconds, "returned"));
            string? last = null;
            foreach (var (ms, what) in marks)
            {
                if (what != last)
                {
                    Console.WriteLine($"  {ms,8:F0} ms  {what}");
                }
                last = what;
            }
            Console.WriteLine();
        }
    }

    private sealed class SynchronousProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }

    /// <summary>A warm-up pass that JIT-compiles fewer methods than this counts as steady state.</summary>
    private const int SettledJitMethods = 100;

    private const int MaxWarmups = 12;

    private static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static IEnumerable<int> BareThreads() => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    private static string Spread(List<double> seconds) =>
        $"{seconds.Min().ToString("F2", CultureInfo.InvariantCulture)}–{seconds.Max().ToString("F2", CultureInfo.InvariantCulture)} s, median {seconds.Order().ElementAt(seconds.Count / 2).ToString("F2", CultureInfo.InvariantCulture)} s";

    /// <summary>The table's label index → the model's class index (class folders sort by name; the model's classes are in label order).</summary>
    private static long[] LabelMap(Table table)
    {
        var map = ((ScalarSchema)table.Schema["label"]).ValueMap!;
        var classes = FashionMnist.Classes.ToList();
        return map.OrderBy(e => e.Key).Select(e => (long)classes.IndexOf(e.Value.InternalName)).ToArray();
    }

    /// <summary>
    /// The bare loop: model and weights loaded, rows decoded through <c>table.Sample</c> and preprocessed in parallel on
    /// <paramref name="decodeThreads"/> threads while the previous batch runs through the model on its own thread
    /// (softmax, argmax), as the runner pipelines them; no grains, collectors or output files.
    /// </summary>
    private static (double Seconds, long Correct) Bare(Table table, string weights, long[] labelMap, int decodeThreads)
    {
        var watch = Stopwatch.StartNew();
        using var model = new FashionMnistCnn();
        ModelWeights.Load(model, weights);
        var device = Devices.Resolve(DeviceName);
        model.to(device);
        model.eval();
        var preprocess = FashionMnist.Preprocessor();
        var batches = Channel.CreateBounded<(Tensor Input, long[] Labels)>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(async () =>
        {
            try
            {
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = decodeThreads };
                for (long at = 0; at < table.RowCount; at += BatchSize)
                {
                    var count = (int)Math.Min(BatchSize, table.RowCount - at);
                    var inputs = new Tensor[count];
                    var labels = new long[count];
                    Parallel.For(0, count, parallel, i =>
                    {
                        var sample = table.Sample(at + i);
                        inputs[i] = preprocess(sample);
                        labels[i] = labelMap[(int)sample["label"]!];
                    });
                    var stacked = stack(inputs);
                    foreach (var input in inputs)
                    {
                        input.Dispose();
                    }
                    await batches.Writer.WriteAsync((stacked, labels));
                }
                batches.Writer.Complete();
            }
            catch (Exception e)
            {
                batches.Writer.Complete(e);
            }
        });
        long correct = 0;
        var inference = new Thread(() =>
        {
            using var noGrad = no_grad();
            while (batches.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (batches.Reader.TryRead(out var batch))
                {
                    using var scope = NewDisposeScope();
                    using var input = batch.Input;
                    var logits = model.call(input.to(device));
                    var probabilities = softmax(logits, 1);
                    var predicted = probabilities.argmax(1).data<long>().ToArray();
                    for (var i = 0; i < predicted.Length; i++)
                    {
                        correct += predicted[i] == batch.Labels[i] ? 1 : 0;
                    }
                }
            }
        }) { Name = "bare inference" };
        inference.Start();
        inference.Join();
        producer.GetAwaiter().GetResult();
        watch.Stop();
        return (watch.Elapsed.TotalSeconds, correct);
    }
}
