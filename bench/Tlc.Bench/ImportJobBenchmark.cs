using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tlc.Cluster;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Workers;

namespace Tlc.Bench;

/// <summary>
/// Imports as cluster jobs on the embedded silo: a generated 10^7-row CSV with one and two in-process workers against
/// DuckDB's CSV → Parquet using both cores; and the resume cost: the source bytes read again after a worker is killed
/// half-way.
/// </summary>
internal static class ImportJobBenchmark
{
    public const int Rows = 10_000_000;

    /// <summary>A 10^7-row CSV with a fixed seed: an int64, two float64 and a short string column.</summary>
    public static string Generate(string folder)
    {
        var path = Path.Combine(folder, "bench-10m.csv");
        if (File.Exists(path))
        {
            return path;
        }
        Directory.CreateDirectory(folder);
        var random = new Random(20261128);
        var partial = path + ".partial";
        using (var writer = new StreamWriter(partial, false, new UTF8Encoding(false), 1 << 20))
        {
            writer.WriteLine("id,x,y,name");
            var line = new StringBuilder(64);
            for (var r = 0; r < Rows; r++)
            {
                line.Clear();
                line.Append(r.ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append((random.NextDouble() * 1000).ToString("F4", CultureInfo.InvariantCulture)).Append(',')
                    .Append((random.NextDouble() - 0.5).ToString("F6", CultureInfo.InvariantCulture)).Append(',')
                    .Append('s').Append(random.Next(100_000).ToString(CultureInfo.InvariantCulture));
                writer.WriteLine(line);
            }
        }
        File.Move(partial, path);
        return path;
    }

    /// <summary>Rounds of the speed measurement (BENCH_REPEATS, default 5).</summary>
    private static int Rounds => int.Parse(Environment.GetEnvironmentVariable("BENCH_REPEATS") ?? "5", CultureInfo.InvariantCulture);

    /// <summary>
    /// Import speed as a user meets it: the page cache as it comes after the file was read once (no cache dropped), and
    /// <see cref="Rounds"/> alternating rounds, each timing in turn DuckDB to Parquet, DuckDB into its native table, Tlc with
    /// one worker and Tlc with two (the order reversed every other round); the ratios are of medians, and each figure
    /// states min/median/max.
    /// </summary>
    public static async Task<BenchResult[]> RunAsync()
    {
        var folder = Path.Combine(BenchContext.Scratch, "import-job");
        var csv = Generate(folder);
        var bytes = new FileInfo(csv).Length;
        var flights = Path.Combine(BenchContext.FixtureRoot(), "npm", "node_modules", "vega-datasets", "data", "flights-3m.parquet");
        var csvResults = await SpeedAsync(folder, csv, Rows, parquet: false);
        var parquetResults = await SpeedAsync(folder, flights, 3_000_000, parquet: true);
        var resume = await ResumeCostAsync(folder, csv);
        var memory = await MemoryAsync(folder, csv);
        const string CsvNotes = "from the call to the published table: planning (schema from the first 10,000 records, one pass cutting 16 MiB record-aligned chunks), " +
            "conversion by in-process workers (one chunk at a time each, Sep parse into Arrow, one chunk file per chunk), lease/commit per chunk, publication";
        const string ParquetNotes = "one chunk per row group; from planning (footer only) to the published table";
        return
        [
            .. Results(csvResults, $"CSV import as a job, 10^7 rows × 4 columns ({bytes / 1048576} MiB), embedded silo", "CSV", CsvNotes),
            .. Results(parquetResults, "flights-3m.parquet (3M rows, 11 row groups) as a job, embedded silo", "Parquet", ParquetNotes),
            resume,
            memory,
        ];
    }

    /// <summary>Times of one source: DuckDB to Parquet, DuckDB to its native table, Tlc with 1 and 2 workers.</summary>
    private sealed record Speed(List<double> DuckParquet, List<double> DuckTable, List<double> One, List<double> Two);

    private static async Task<Speed> SpeedAsync(string folder, string source, long rows, bool parquet)
    {
        var speed = new Speed([], [], [], []);
        var root = Path.Combine(folder, $"root-speed{(parquet ? "-parquet" : "")}");
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        var settings = new TlcOptions { Root = root };
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var threads = Environment.ProcessorCount;
        var duckOut = Path.Combine(folder, parquet ? "duck-flights.parquet" : "duck.parquet");
        var steps = new (string Name, Func<Task<double>> Run)[]
        {
            ("DuckDB → Parquet", () => Task.FromResult(CsvBenchmark.DuckDb(source, duckOut, threads, runs: 1, rows).TotalMilliseconds)),
            ("DuckDB → native table", () => Task.FromResult(CsvBenchmark.DuckDb(source, duckOut, threads, runs: 1, rows, mode: "table").TotalMilliseconds)),
            ("Tlc, 1 worker", () => ImportOnceAsync(connection, settings, root, source, rows, parquet, workers: 1)),
            ("Tlc, 2 workers", () => ImportOnceAsync(connection, settings, root, source, rows, parquet, workers: 2)),
        };
        var lists = new[] { speed.DuckParquet, speed.DuckTable, speed.One, speed.Two };
        // Warm-up (not counted): the file read once into the page cache, the JIT compiling the conversion.
        await ImportOnceAsync(connection, settings, root, source, rows, parquet, workers: 1);
        await ImportOnceAsync(connection, settings, root, source, rows, parquet, workers: 2);
        for (var round = 0; round < Rounds; round++)
        {
            var order = Enumerable.Range(0, steps.Length).ToArray();
            if (round % 2 == 1)
            {
                System.Array.Reverse(order);
            }
            foreach (var i in order)
            {
                var ms = await steps[i].Run();
                lists[i].Add(ms);
                Console.Error.WriteLine($"[bench] {Path.GetFileName(source)} round {round + 1}: {steps[i].Name} {ms:F0} ms");
            }
        }
        return speed;
    }

    /// <summary>One import job of <paramref name="source"/> with <paramref name="workers"/> in-process workers (started before the clock, stopped after); milliseconds.</summary>
    private static async Task<double> ImportOnceAsync(ClusterConnection connection, TlcOptions settings, string root, string source, long rows, bool parquet, int workers)
    {
        await using var pool = InProcessWorkers.Start(connection.Context, workers, new WorkerOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(50),
            ImportChunksAtOnce = int.Parse(Environment.GetEnvironmentVariable("BENCH_IMPORT_AT_ONCE") ?? "1", CultureInfo.InvariantCulture),
        });
        var name = $"t-{Guid.NewGuid().ToString("N")[..8]}";
        var watch = Stopwatch.StartNew();
        var chunkMiB = int.Parse(Environment.GetEnvironmentVariable("BENCH_IMPORT_CHUNK_MIB") ?? "16", CultureInfo.InvariantCulture);
        var (plan, _) = parquet
            ? await ImportJobs.PlanParquetAsync(source, new ParquetImportOptions { Root = Url.FromLocalPath(root), Settings = settings, Dataset = "bench", Table = name },
                Guid.NewGuid().ToString("N"), new ImportJobOptions { ChunkBytes = 1 })
            : await ImportJobs.PlanCsvAsync(source, new CsvImportOptions { Root = Url.FromLocalPath(root), Settings = settings, Dataset = "bench", Table = name },
                Guid.NewGuid().ToString("N"), new ImportJobOptions { ChunkBytes = chunkMiB << 20 });
        var job = await ImportJob.SubmitAsync(connection.Context, plan!);
        using var table = await job.WaitAsync(interval: TimeSpan.FromMilliseconds(50));
        watch.Stop();
        if (table.RowCount != rows)
        {
            throw new InvalidOperationException($"Imported {table.RowCount} rows of {rows}.");
        }
        // Each run's table is removed: the disk holds one at a time, as it would for a user importing once.
        Directory.Delete(table.Url.LocalPath, recursive: true);
        return watch.Elapsed.TotalMilliseconds;
    }

    private static IEnumerable<BenchResult> Results(Speed speed, string name, string format, string notes)
    {
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        static string Spread(List<double> v) => $"min {v.Min():F0}, median {Median(v):F0}, max {v.Max():F0} ms";
        var parquet = Median(speed.DuckParquet);
        var table = Median(speed.DuckTable);
        var threads = Environment.ProcessorCount;
        var page = $"{speed.One.Count} alternating rounds after a warm-up import at each worker count, page cache as a user has it (warm, never dropped)";
        foreach (var (workers, times, goal) in new[] { (1, speed.One, 1.0), (2, speed.Two, 1.5) })
        {
            var tlc = Median(times);
            yield return new BenchResult($"{name}, {workers} worker{(workers > 1 ? "s" : "")}", $"median {tlc:F0} ms",
                $"DuckDB {format}→Parquet, {threads} threads, median {parquet:F0} ms", parquet / tlc, $"≥ {goal:F1} of DuckDB's speed", parquet / tlc >= goal,
                $"{notes}; Tlc {Spread(times)}; DuckDB→Parquet {Spread(speed.DuckParquet)}; DuckDB into its native table {Spread(speed.DuckTable)} " +
                $"(ratio against it {table / tlc:F2}); {page}; ratio = DuckDB median ÷ Tlc median");
        }
    }

    /// <summary>Two workers; one is killed (its work dropped mid-chunk) when half the chunks are committed; bytes read again = bytes started − source bytes.</summary>
    private static async Task<BenchResult> ResumeCostAsync(string folder, string csv)
    {
        var root = Path.Combine(folder, "root-resume");
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        var settings = new TlcOptions { Root = root };
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var context = connection.Context;
        var (plan, _) = await ImportJobs.PlanCsvAsync(csv, new CsvImportOptions { Root = Url.FromLocalPath(root), Settings = settings, Dataset = "bench", Table = "resume" },
            Guid.NewGuid().ToString("N"), new ImportJobOptions { LeaseDuration = TimeSpan.FromSeconds(3) });
        using var killWorker = new CancellationTokenSource();
        using var stop = new CancellationTokenSource();
        var victimConversions = 0;
        var caught = new TaskCompletionSource();
        // The worst moment to die: the victim has read and converted a whole chunk past the half-way mark but not committed
        // it. The two workers share the chunks about evenly, so the victim's own conversion number chunks/4 + 1 falls at
        // about half-way (watching the job's progress instead could find every remaining chunk already taken).
        var dieAt = (plan!.Chunks.Count / 4) + 1;
        var hosts = new[] { "victim", "survivor" }.Select(id => new WorkerHost(context with { Identity = new WorkerRef(id, "1") }, new NoMetrics(),
            new WorkerOptions { WorkerId = id, PollInterval = TimeSpan.FromMilliseconds(50) })
        {
            BeforeImportCommit = async (_, token) =>
            {
                if (id == "victim" && Interlocked.Increment(ref victimConversions) >= dieAt)
                {
                    caught.TrySetResult();
                    await Task.Delay(Timeout.Infinite, token);
                }
            },
        }).ToArray();
        var victim = hosts[0].RunAsync(killWorker.Token);
        var survivor = hosts[1].RunAsync(stop.Token);
        var job = await ImportJob.SubmitAsync(context, plan);
        if (await Task.WhenAny(caught.Task, victim, Task.Delay(TimeSpan.FromMinutes(2))) != caught.Task)
        {
            var state = await job.GetProgressAsync();
            throw new TimeoutException($"The victim never reached a commit past half-way: victim converted {hosts[0].ChunksConverted} ({victim.Status}: {victim.Exception?.GetBaseException().Message}), " +
                $"survivor {hosts[1].ChunksConverted}; job {state.Status} {state.ItemsCommitted}/{state.Items}.");
        }
        await killWorker.CancelAsync();
        await victim;
        using var table = await job.WaitAsync();
        await stop.CancelAsync();
        await survivor;
        var total = plan.Chunks.Sum(c => c.Bytes);
        var reread = hosts.Sum(h => h.ImportBytesStarted) - total;
        var largest = plan.Chunks.Max(c => c.Bytes);
        return new BenchResult("Import resume cost: bytes read again after killing 1 of 2 workers at 50%", $"{BenchContext.MiB(reread)} re-read",
            $"one chunk {BenchContext.MiB(largest)}", (double)reread / largest, "≤ one chunk per killed worker", reread <= largest,
            $"{plan.Chunks.Count} chunks of {BenchContext.MiB(total)}; the victim dies holding a chunk it read and converted but did not commit (the worst moment), which is leased again when its 3 s lease runs out; committed chunks are never read again; ratio = re-read ÷ one chunk (lower is better)");
    }

    /// <summary>Runs one import job with two in-process workers on an embedded silo in this process and prints the peak RSS (a child of the memory benchmark).</summary>
    public static async Task<int> ChildAsync(string root, string csv)
    {
        var settings = new TlcOptions { Root = root };
        await using (var connection = await ClusterConnection.ConnectAsync(settings))
        {
            await using var pool = InProcessWorkers.Start(connection.Context, 2, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(50) });
            using var table = await ImportJob.ImportAsync(connection.Context, ImportSource.Csv(csv, new CsvImportOptions { Root = Url.FromLocalPath(root), Settings = settings, Dataset = "bench", Table = "rss" }));
        }
        Console.WriteLine(BenchContext.PeakRss().ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>Peak RSS of a process hosting the embedded silo and two workers, importing 10^6 and 10^7 rows (each in a fresh process).</summary>
    private static async Task<BenchResult> MemoryAsync(string folder, string csv)
    {
        var small = Path.Combine(folder, "bench-1m-of-10m.csv");
        if (!File.Exists(small))
        {
            File.WriteAllLines(small, File.ReadLines(csv).Take(1_000_001));
        }
        async Task<long> Child(string source)
        {
            var root = Path.Combine(folder, $"rss-{Path.GetFileNameWithoutExtension(source)}");
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
            var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            {
                info.ArgumentList.Add(typeof(ImportJobBenchmark).Assembly.Location);
            }
            info.ArgumentList.Add("import-job-child");
            info.ArgumentList.Add(root);
            info.ArgumentList.Add(source);
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Directory.Delete(root, recursive: true);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"import child failed for {source}.");
            }
            return long.Parse(output.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
        }
        var smallRss = await Child(small);
        var largeRss = await Child(csv);
        var growth = largeRss - smallRss;
        return new BenchResult("Import job peak RSS (embedded silo + 2 workers in one process), 10^6 vs 10^7 rows", $"10^7: {BenchContext.MiB(largeRss)}",
            $"10^6: {BenchContext.MiB(smallRss)}", (double)largeRss / smallRss, "flat: ≤ +64 MiB", growth <= 64L << 20,
            $"growth {BenchContext.MiB(growth)}; 16 MiB chunks, each converted in one pass into one chunk file; each size in a fresh process; ratio = 10^7 ÷ 10^6 peak (lower is better)");
    }

    /// <summary>Where the time of a job goes: every chunk converted in this process without a cluster, one and two threads.</summary>
    /// <summary>The CSV job alone, <paramref name="workers"/> in-process workers, five runs after a warm-up (for tuning; prints each run).</summary>
    public static async Task CsvOnlyAsync(int workers)
    {
        var folder = Path.Combine(BenchContext.Scratch, "import-job");
        var csv = Generate(folder);
        var root = Path.Combine(folder, $"root-only-{workers}");
        var settings = new TlcOptions { Root = root };
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var times = new List<double>();
        for (var run = -1; run < 5; run++)
        {
            var ms = await ImportOnceAsync(connection, settings, root, csv, Rows, parquet: false, workers);
            Console.Error.WriteLine($"[bench] CSV job, {workers} worker(s){(run < 0 ? " (warm-up)" : "")}: {ms:F0} ms");
            if (run >= 0)
            {
                times.Add(ms);
            }
        }
        Console.WriteLine($"CSV job, {workers} worker(s): min {times.Min():F0}, median {times.Order().ElementAt(times.Count / 2):F0}, max {times.Max():F0} ms");
    }

    /// <summary>The resume-cost measure alone (prints its result).</summary>
    public static async Task ResumeOnlyAsync()
    {
        var folder = Path.Combine(BenchContext.Scratch, "import-job");
        var result = await ResumeCostAsync(folder, Generate(folder));
        Console.WriteLine($"{result.Name}: {result.Figure} vs {result.Baseline} → ratio {result.Ratio:F2}");
    }

    public static async Task ProfileAsync()
    {
        if (Environment.GetEnvironmentVariable("BENCH_PROFILE_FORMAT") == "parquet")
        {
            await ProfileParquetAsync();
            return;
        }
        var folder = Path.Combine(BenchContext.Scratch, "import-job");
        var csv = Generate(folder);
        var root = Path.Combine(folder, "root-profile");
        var settings = new TlcOptions { Root = root };
        // BENCH_PROFILE_THREADS="1,1,1" picks the conversions (default 1,2,1,2); BENCH_PROFILE_ONE=0 leaves out the one-process imports.
        var threadList = (Environment.GetEnvironmentVariable("BENCH_PROFILE_THREADS") is { Length: > 0 } list ? list : "1,2,1,2")
            .Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        foreach (var threads in threadList)
        {
            var options = new CsvImportOptions { Root = Url.FromLocalPath(root), Settings = settings, Dataset = "bench", Table = $"p-{Guid.NewGuid():N}"[..12] };
            var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
            var watch = Stopwatch.StartNew();
            var (plan, _) = await ImportJobs.PlanCsvAsync(csv, options, Guid.NewGuid().ToString("N"));
            var planned = watch.Elapsed;
            var adapters = new Tlc.Tables.Urls.UrlAdapterRegistry();
            var slowest = TimeSpan.Zero;
            foreach (var chunk in plan!.Chunks)
            {
                var one = Stopwatch.StartNew();
                await ImportJobs.ConvertAsync(plan!.Spec, chunk, ImportJobs.WriteId(plan!.Spec.JobId, chunk.Index, 1, "profile0"), adapters, settings, parallelism: threads);
                slowest = one.Elapsed > slowest ? one.Elapsed : slowest;
            }
            Console.WriteLine($"{threads} thread(s): plan {planned.TotalSeconds:F2} s, convert {(watch.Elapsed - planned).TotalSeconds:F2} s for {plan.Chunks.Count} chunks (slowest {slowest.TotalMilliseconds:F0} ms); GC {GC.CollectionCount(0) - gcBefore.Item1}/{GC.CollectionCount(1) - gcBefore.Item2}/{GC.CollectionCount(2) - gcBefore.Item3}, pause {(GC.GetTotalPauseDuration() - gcBefore.Item4).TotalMilliseconds:F0} ms, allocated {(GC.GetTotalAllocatedBytes() - gcBefore.Item5) >> 20} MiB");
        }
        if (Environment.GetEnvironmentVariable("BENCH_PROFILE_ONE") == "0")
        {
            return;
        }
        var one1 = Stopwatch.StartNew();
        using (var table = await Table.FromCsvAsync(csv, new CsvImportOptions { Root = Url.FromLocalPath(root), Settings = settings, Dataset = "bench", Table = "single", IfExists = IfExists.Overwrite }))
        {
            Console.WriteLine($"one-process import: {one1.Elapsed.TotalSeconds:F2} s");
        }
        one1.Restart();
        using (var table = await Table.FromCsvAsync(csv, new CsvImportOptions { Root = Url.FromLocalPath(root), Settings = settings, Dataset = "bench", Table = "single", IfExists = IfExists.Overwrite }))
        {
            Console.WriteLine($"one-process import: {one1.Elapsed.TotalSeconds:F2} s");
        }
    }

    /// <summary>flights-3m.parquet as a job a few times, with the time line of one run (planning, submission, each commit, publication).</summary>
    public static async Task ParquetTimelineAsync(int workers)
    {
        var folder = Path.Combine(BenchContext.Scratch, "import-job");
        var flights = Path.Combine(BenchContext.FixtureRoot(), "npm", "node_modules", "vega-datasets", "data", "flights-3m.parquet");
        var root = Path.Combine(folder, $"root-timeline-{workers}");
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        var settings = new TlcOptions { Root = root };
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var clock = Stopwatch.StartNew();
        await using var pool = InProcessWorkers.Start(connection.Context, workers, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(50) },
            new TimelineLogger(clock));
        for (var run = 0; run < 5; run++)
        {
            var watch = Stopwatch.StartNew();
            Console.WriteLine($"[{clock.ElapsedMilliseconds}] run {run} starts");
            var line = new List<string>();
            var (plan, _) = await ImportJobs.PlanParquetAsync(flights, new ParquetImportOptions { Root = Url.FromLocalPath(root), Settings = settings, Dataset = "bench", Table = $"t-{run}" },
                Guid.NewGuid().ToString("N"), new ImportJobOptions { ChunkBytes = 1 });
            line.Add($"plan {watch.ElapsedMilliseconds}");
            var job = await ImportJob.SubmitAsync(connection.Context, plan!);
            line.Add($"submit {watch.ElapsedMilliseconds}");
            var progress = new SyncProgress<JobProgress>(p => line.Add($"{p.ItemsCommitted}/{p.Items}@{watch.ElapsedMilliseconds}"));
            using var table = await job.WaitAsync(progress, interval: TimeSpan.FromMilliseconds(50));
            line.Add($"open {watch.ElapsedMilliseconds}");
            Console.WriteLine($"{workers} worker(s), run {run}: {string.Join(", ", line)}");
        }
    }

    private sealed class TimelineLogger(Stopwatch clock) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) => Console.WriteLine($"[{clock.ElapsedMilliseconds}] {formatter(state, exception)}");
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>Converts every chunk of flights-3m.parquet outside the cluster, one after another, a few times.</summary>
    private static async Task ProfileParquetAsync()
    {
        var flights = Path.Combine(BenchContext.FixtureRoot(), "npm", "node_modules", "vega-datasets", "data", "flights-3m.parquet");
        var root = Path.Combine(BenchContext.Scratch, "import-job", "root-profile-parquet");
        var settings = new TlcOptions { Root = root };
        var threadList = (Environment.GetEnvironmentVariable("BENCH_PROFILE_THREADS") is { Length: > 0 } list ? list : "1,2,1,2")
            .Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        foreach (var threads in threadList)
        {
            var options = new ParquetImportOptions { Root = Url.FromLocalPath(root), Settings = settings, Dataset = "bench", Table = $"p-{Guid.NewGuid():N}"[..12] };
            var watch = Stopwatch.StartNew();
            var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
            var (plan, _) = await ImportJobs.PlanParquetAsync(flights, options, Guid.NewGuid().ToString("N"), new ImportJobOptions { ChunkBytes = 1 });
            var planned = watch.Elapsed;
            var adapters = new Tlc.Tables.Urls.UrlAdapterRegistry();
            // BENCH_PROFILE_CONCURRENT=1: the chunks are converted by as many concurrent one-thread loops as threads (as workers do).
            if (Environment.GetEnvironmentVariable("BENCH_PROFILE_CONCURRENT") == "1")
            {
                var next = -1;
                await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Run(async () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < plan!.Chunks.Count)
                    {
                        await ImportJobs.ConvertAsync(plan!.Spec, plan.Chunks[i], ImportJobs.WriteId(plan!.Spec.JobId, i, 1, "profile0"), adapters, settings, parallelism: 1);
                    }
                })));
            }
            else
            {
                foreach (var chunk in plan!.Chunks)
                {
                    await ImportJobs.ConvertAsync(plan!.Spec, chunk, ImportJobs.WriteId(plan!.Spec.JobId, chunk.Index, 1, "profile0"), adapters, settings, parallelism: threads);
                }
            }
            Console.WriteLine($"parquet, {threads} thread(s): plan {planned.TotalMilliseconds:F0} ms, convert {(watch.Elapsed - planned).TotalMilliseconds:F0} ms for {plan!.Chunks.Count} chunks; GC {GC.CollectionCount(0) - gcBefore.Item1}/{GC.CollectionCount(1) - gcBefore.Item2}/{GC.CollectionCount(2) - gcBefore.Item3}, pause {(GC.GetTotalPauseDuration() - gcBefore.Item4).TotalMilliseconds:F0} ms, allocated {(GC.GetTotalAllocatedBytes() - gcBefore.Item5) >> 20} MiB");
        }
    }

    /// <summary>The import benchmark's workers compute no metrics.</summary>
    private sealed class NoMetrics : IShardExecutor
    {
        public Task<ShardOutput> ExecuteAsync(ShardTask task, CancellationToken cancellationToken) => throw new NotSupportedException("No metrics in the import benchmark.");
    }
}
