using System.Diagnostics;
using System.Globalization;
using Tlc.Metrics.Reduction;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Configuration;

namespace Tlc.Bench;

/// <summary>
/// UMAP of an embedding column through <see cref="EmbeddingReducer"/> (what <c>tlc run reduce</c> runs) at 10^4 and 10^5
/// rows of 64-D synthetic embeddings: wall time and the peak of the managed heap while it runs. Baseline in the same run:
/// PCA of the same column.
/// </summary>
internal static class UmapBenchmark
{
    private const int Dimensions = 64;

    public static async Task<BenchResult[]> RunAsync()
    {
        var root = Path.Combine(BenchContext.Scratch, "umap");
        var settings = new TlcOptions { Root = root };
        // Warm-up (JIT) on a small table.
        using (var small = await WriteAsync(root, settings, 2_000))
        {
            await EmbeddingReducer.ReduceAsync(small, "embeddings", new EmbeddingReducerOptions { Method = ReductionMethod.Umap, Epochs = 20 });
            await EmbeddingReducer.ReduceAsync(small, "embeddings");
        }
        // BENCH_UMAP_LARGE_RUNS: the runs at 10^5 rows (default 2; 0 leaves that size out).
        var large = int.TryParse(Environment.GetEnvironmentVariable("BENCH_UMAP_LARGE_RUNS"), CultureInfo.InvariantCulture, out var r) ? r : 2;
        var results = new List<BenchResult> { await MeasureAsync(root, settings, 10_000, runs: 3, goalSeconds: 10) };
        if (large > 0)
        {
            results.Add(await MeasureAsync(root, settings, 100_000, large, goalSeconds: 120));
        }
        return [.. results];
    }

    private static async Task<BenchResult> MeasureAsync(string root, TlcOptions settings, int rows, int runs, double goalSeconds)
    {
        using var table = await WriteAsync(root, settings, rows);
        var umap = new List<(double Seconds, long PeakHeap)>();
        var pca = new List<double>();
        string description = "";
        for (var run = 0; run < runs; run++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var before = GC.GetTotalMemory(false);
            var peak = before;
            using var sampler = new Timer(_ => InterlockedMax(ref peak, GC.GetTotalMemory(false)), null, 0, 10);
            var watch = Stopwatch.StartNew();
            var reduction = await EmbeddingReducer.ReduceAsync(table, "embeddings", new EmbeddingReducerOptions { Method = ReductionMethod.Umap, Seed = run });
            var seconds = watch.Elapsed.TotalSeconds;
            await sampler.DisposeAsync();
            InterlockedMax(ref peak, GC.GetTotalMemory(false));
            umap.Add((seconds, Interlocked.Read(ref peak)));
            description = reduction.Description;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[bench] umap {rows}: {seconds:F2} s, peak managed heap {Interlocked.Read(ref peak) / 1048576.0:F0} MiB"));

            watch.Restart();
            await EmbeddingReducer.ReduceAsync(table, "embeddings");
            pca.Add(watch.Elapsed.TotalSeconds);
        }
        var times = umap.Select(u => u.Seconds).Order().ToArray();
        var median = times[times.Length / 2];
        var pcaMedian = pca.Order().ElementAt(pca.Count / 2);
        var heap = umap.Max(u => u.PeakHeap) / 1048576.0;
        var rss = BenchContext.PeakRss() / 1048576.0;
        var label = rows == 10_000 ? "10^4" : "10^5";
        return new BenchResult($"UMAP of {label} 64-D embeddings (EmbeddingReducer)", string.Create(CultureInfo.InvariantCulture, $"{median:F1} s, peak heap {heap:F0} MiB"),
            string.Create(CultureInfo.InvariantCulture, $"PCA {pcaMedian:F2} s"), median / pcaMedian,
            string.Create(CultureInfo.InvariantCulture, $"≤ {goalSeconds:F0} s"), median <= goalSeconds,
            string.Create(CultureInfo.InvariantCulture,
                $"{rows:N0} rows in 20 clusters (8-D Gaussian latents mapped into 64-D, noise σ 0.1), read from a table; {runs} runs after a warm-up, seeds 0…{runs - 1}: min {times[0]:F1}, median {median:F1}, max {times[^1]:F1} s; peak managed heap (sampled every 10 ms) {heap:F0} MiB, process peak RSS so far {rss:F0} MiB; {description} PCA of the same column in the same runs (median); ratio = UMAP ÷ PCA (lower is better)"));
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>A table of <paramref name="rows"/> 64-D embeddings: 20 clusters, each an 8-D Gaussian mapped by its own random matrix, plus noise.</summary>
    private static async Task<Table> WriteAsync(string root, TlcOptions settings, int rows)
    {
        const int clusters = 20, latent = 8;
        var random = new Random(42);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var centres = Enumerable.Range(0, clusters).Select(_ => Enumerable.Range(0, Dimensions).Select(_ => Gaussian() * 4).ToArray()).ToArray();
        var maps = Enumerable.Range(0, clusters).Select(_ => Enumerable.Range(0, latent * Dimensions).Select(_ => Gaussian() / Math.Sqrt(latent)).ToArray()).ToArray();
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["embeddings"] = new EmbeddingSchema(Dimensions) },
            Project = "bench",
            Dataset = "umap",
            Table = $"embeddings-{rows}",
            Root = Url.FromLocalPath(root),
            Settings = settings,
            AddWeightColumn = false,
        });
        var z = new double[latent];
        for (var i = 0; i < rows; i++)
        {
            var c = i % clusters;
            for (var l = 0; l < latent; l++)
            {
                z[l] = Gaussian();
            }
            var row = new float[Dimensions];
            for (var j = 0; j < Dimensions; j++)
            {
                var v = centres[c][j] + (Gaussian() * 0.1);
                for (var l = 0; l < latent; l++)
                {
                    v += maps[c][(l * Dimensions) + j] * z[l];
                }
                row[j] = (float)v;
            }
            writer.AddRow(new Dictionary<string, object?> { ["embeddings"] = row });
        }
        return await writer.FinalizeAsync();
    }
}
