using System.Collections;
using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Tlc.Tables.Storage;
using Table = Tlc.Tables.Table;

namespace Tlc.Bench;

/// <summary>Metrics tables: the sink's publication after the last commit, and MetricsTableWriter's memory.</summary>
internal static class MetricsBenchmarks
{
    private const int PublishRows = 1_000_000;
    private const int PublishParts = 250;
    private const int PublishRepeats = 3;
    private const int WriterBatch = 10_000;

    private static TableSchema Columns() => new()
    {
        ["loss"] = new Float32Schema(),
        ["predicted"] = new Int32Schema(),
        ["confidence"] = new Float32Schema(),
    };

    /// <summary>A foreign table of <paramref name="rows"/> rows (one int64 column, written through the Arrow fast path).</summary>
    private static async Task<Table> ForeignTableAsync(string root, long rows)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["id"] = new Int64Schema() },
            Root = Url.FromLocalPath(root),
            Project = "bench",
            Dataset = "bench",
            Table = $"foreign-{rows}",
            IfExists = IfExists.Overwrite,
            Settings = new TlcOptions { Root = root },
        });
        var schema = new Apache.Arrow.Schema([new Field("id", Apache.Arrow.Types.Int64Type.Default, false)], null);
        for (long at = 0; at < rows; at += 1 << 20)
        {
            var count = (int)Math.Min(1 << 20, rows - at);
            var ids = new long[count];
            for (var i = 0; i < count; i++)
            {
                ids[i] = at + i;
            }
            writer.AddRecordBatch(new RecordBatch(schema, [new Int64Array.Builder().Append(ids.AsSpan()).Build()], count));
        }
        return await writer.FinalizeAsync();
    }

    /// <summary>One batch of metrics for example ids [start, start + count).</summary>
    private static Dictionary<string, IList> Batch(long start, int count)
    {
        var ids = new long[count];
        var loss = new float[count];
        var predicted = new int[count];
        var confidence = new float[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = start + i;
            loss[i] = (i % 97) * 0.01f;
            predicted[i] = (int)((start + i) % 10);
            confidence[i] = 0.5f + ((i % 50) * 0.01f);
        }
        return new Dictionary<string, IList> { ["example_id"] = ids, ["loss"] = loss, ["predicted"] = predicted, ["confidence"] = confidence };
    }

    /// <summary>
    /// Publication of a 10^6-row metrics table written in 250 parts: from the last part's commit to the published table
    /// (the sink reads the 250 part grains, checks every example id once, writes the object file, registers the table
    /// with the run; the writer opens it). Baseline: copying the 250 chunk files once — the least a publication that
    /// moved data would cost.
    /// </summary>
    public static async Task<BenchResult> PublishAsync()
    {
        var root = Path.Combine(BenchContext.Scratch, "publish");
        var settings = new TlcOptions { Root = root };
        using var foreign = await ForeignTableAsync(root, PublishRows);
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        await using var run = await Runs.InitAsync(connection.Context, "bench", "publish", ifExists: RunIfExists.Overwrite);
        var chunkRows = PublishRows / PublishParts;
        var publish = new List<double>();
        var copy = new List<double>();
        long bytes = 0;
        for (var r = 0; r < PublishRepeats; r++)
        {
            await using var writer = await run.CreateMetricsWriterAsync(foreign, Columns(), $"publish{r}", options: new MetricsWriterOptions
            {
                ChunkRows = chunkRows,
                RequireFullCoverage = true,
            });
            for (long at = 0; at < PublishRows; at += chunkRows)
            {
                await writer.AddBatchAsync(Batch(at, chunkRows)); // a full chunk: written and committed before it returns
            }
            var watch = Stopwatch.StartNew();
            using var table = await writer.PublishAsync();
            watch.Stop();
            publish.Add(watch.Elapsed.TotalSeconds);
            if (table.RowCount != PublishRows || table.Object.Chunks.Count != PublishParts)
            {
                throw new InvalidOperationException($"Published {table.RowCount} rows in {table.Object.Chunks.Count} chunks.");
            }
            var files = table.Object.Chunks.Select(c => ObjectFiles.Resolve(table.Url, c.Url, "chunk").LocalPath).ToList();
            bytes = table.Object.Chunks.Sum(c => c.Bytes);
            var target = Path.Combine(root, "copy");
            Directory.CreateDirectory(target);
            var copyWatch = Stopwatch.StartNew();
            foreach (var file in files)
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
            }
            copyWatch.Stop();
            copy.Add(copyWatch.Elapsed.TotalSeconds);
            Directory.Delete(target, recursive: true);
        }
        var best = publish.Min();
        var baseline = copy.Min();
        return new BenchResult($"Sink publication, {PublishRows:N0}-row metrics table in {PublishParts} parts", $"{best * 1000:F0} ms",
            $"copying the {PublishParts} chunk files ({BenchContext.MiB(bytes)}) {baseline * 1000:F0} ms", baseline / best, "≤ 1 s, metadata only", best <= 1.0,
            $"from the last part's commit to the published table opened by the writer (250 part grains read, ids checked for full coverage, object file written, run updated); " +
            $"best of {PublishRepeats} ({string.Join(", ", publish.Select(t => (t * 1000).ToString("F0", CultureInfo.InvariantCulture)))} ms); baseline = the least a data-moving publication costs");
    }

    /// <summary>
    /// Writes <paramref name="rows"/> metrics rows with a MetricsTableWriter in this process and prints the peak RSS (a child
    /// of the memory benchmarks). With <paramref name="rank"/>, as a training rank does: a rank's writer
    /// (Run.OpenRankWriterAsync) given the ids in a shuffled order, as a shuffling sampler hands them out.
    /// </summary>
    public static async Task<int> WriterChildAsync(string root, string foreignUrl, long rows, bool rank = false)
    {
        var settings = new TlcOptions { Root = root };
        await using (var connection = await ClusterConnection.ConnectAsync(settings))
        {
            using var foreign = await Table.OpenAsync(new Url(foreignUrl), connection.Adapters);
            await using var run = await Runs.InitAsync(connection.Context, "bench", $"rss-{rows}", ifExists: RunIfExists.Overwrite);
            Table published;
            await using (var writer = rank
                ? await run.OpenRankWriterAsync(foreign, Columns(), "rss", 1, new RankInfo(0, 1, 0, "bench-rss", Guid.NewGuid().ToString("N")[..12]),
                    new MetricsWriterOptions { RequireFullCoverage = true })
                : await run.CreateMetricsWriterAsync(foreign, Columns(), "rss", new Dictionary<string, object?> { ["epoch"] = 1 },
                    new MetricsWriterOptions { RequireFullCoverage = true }))
            {
                var shuffle = rank ? Shuffle(rows) : null;
                for (long at = 0; at < rows; at += WriterBatch)
                {
                    var batch = Batch(at, (int)Math.Min(WriterBatch, rows - at));
                    if (shuffle is { } permute)
                    {
                        var ids = (long[])batch["example_id"];
                        for (var i = 0; i < ids.Length; i++)
                        {
                            ids[i] = permute(ids[i]);
                        }
                    }
                    await writer.AddBatchAsync(batch);
                    if (Environment.GetEnvironmentVariable("BENCH_DEBUG") is not null && at % 1_000_000 == 0)
                    {
                        var gc = GC.GetGCMemoryInfo();
                        Console.Error.WriteLine($"{at}: rss {BenchContext.MiB(Environment.WorkingSet)} hwm {BenchContext.MiB(BenchContext.PeakRss())} heap {BenchContext.MiB(gc.HeapSizeBytes)} committed {BenchContext.MiB(gc.TotalCommittedBytes)} gen0 {GC.CollectionCount(0)} gen2 {GC.CollectionCount(2)}");
                    }
                }
                if (rank)
                {
                    // A rank closes its share; the kernel publishes once every rank has (here the only one).
                    await writer.CloseAsync();
                    published = await writer.WaitForTableAsync(CancellationToken.None);
                }
                else
                {
                    published = await writer.PublishAsync();
                }
            }
            using (published)
            {
                if (published.RowCount != rows)
                {
                    throw new InvalidOperationException($"Published {published.RowCount} rows, not {rows}.");
                }
            }
        }
        Console.WriteLine(BenchContext.PeakRss().ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>
    /// A bijection of [0, <paramref name="rows"/>) that scatters consecutive positions over the whole range (i ↦ a·i + c mod
    /// n, a coprime to n): a shuffled order with nothing stored, so it adds nothing to the peak it measures.
    /// </summary>
    private static Func<long, long> Shuffle(long rows)
    {
        var a = 2_654_435_761L % rows;
        while (a < 2 || GreatestCommonDivisor(a, rows) != 1)
        {
            a++;
        }
        return i => (long)((((UInt128)(ulong)a * (ulong)i) + 12_345) % (ulong)rows);
    }

    private static long GreatestCommonDivisor(long a, long b) => b == 0 ? a : GreatestCommonDivisor(b, a % b);

    /// <summary>MetricsTableWriter peak RSS at 10^5 and 10^7 rows, each in a fresh process (with its embedded silo).</summary>
    public static Task<BenchResult> WriterMemoryAsync() => MemoryAsync(rank: false);

    /// <summary>A training rank's writer peak RSS at 10^5 and 10^7 rows of shuffled ids, each in a fresh process (with its embedded silo).</summary>
    public static Task<BenchResult> RankWriterMemoryAsync() => MemoryAsync(rank: true);

    private static async Task<BenchResult> MemoryAsync(bool rank)
    {
        async Task<long> Child(long rows)
        {
            var root = Path.Combine(BenchContext.Scratch, $"metrics-rss-{rows}");
            string foreignUrl;
            using (var foreign = await ForeignTableAsync(root, rows))
            {
                foreignUrl = foreign.Url.Value;
            }
            var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            {
                info.ArgumentList.Add(typeof(MetricsBenchmarks).Assembly.Location);
            }
            info.ArgumentList.Add("metrics-writer-child");
            info.ArgumentList.Add(root);
            info.ArgumentList.Add(foreignUrl);
            info.ArgumentList.Add(rows.ToString(CultureInfo.InvariantCulture));
            if (rank)
            {
                info.ArgumentList.Add("rank");
            }
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Directory.Delete(root, recursive: true);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"metrics writer child failed for {rows} rows.");
            }
            return long.Parse(output.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
        }
        // GC timing moves one process's peak by ±20 MiB (the heap swings between 30 and 70 MiB while the writer streams):
        // each size runs twice and keeps its lower peak.
        var small = Math.Min(await Child(100_000), await Child(100_000));
        var largeRows = long.Parse(Environment.GetEnvironmentVariable("BENCH_RSS_LARGE") ?? "10000000", CultureInfo.InvariantCulture);
        var large = Math.Min(await Child(largeRows), await Child(largeRows));
        var growth = large - small;
        return rank
            ? new BenchResult("Training rank's writer peak RSS, 10^5 vs 10^7 rows of shuffled ids", $"10^7: {BenchContext.MiB(large)}", $"10^5: {BenchContext.MiB(small)}",
                (double)large / small, "flat: ≤ +64 MiB", growth <= 64L << 20,
                $"growth {BenchContext.MiB(growth)}; Run.OpenRankWriterAsync (rank 0 of 1), example_id + 3 columns in batches of {WriterBatch:N0} with the ids in a shuffled order (a·i + c mod n), chunks of 65,536, each id once checked at publication; each in a fresh process hosting its embedded silo, the lower peak of two runs per size; ratio = 10^7 ÷ 10^5 peak (lower is better)")
            : new BenchResult("MetricsTableWriter peak RSS, 10^5 vs 10^7 rows", $"10^7: {BenchContext.MiB(large)}", $"10^5: {BenchContext.MiB(small)}",
                (double)large / small, "flat: ≤ +64 MiB", growth <= 64L << 20,
                $"growth {BenchContext.MiB(growth)}; example_id + 3 columns + a constant in batches of {WriterBatch:N0}, chunks of 65,536, full coverage checked; each in a fresh process hosting its embedded silo, the lower peak of two runs per size; ratio = 10^7 ÷ 10^5 peak (lower is better)");
    }
}
