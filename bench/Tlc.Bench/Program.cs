using System.Globalization;
using System.Text;
using Tlc.Bench;

// tlc benchmarks: dotnet run -c Release --project bench/Tlc.Bench -- [all|scan|random|writer|csv|lease|collect|publish|metrics-writer|rank-memory|import-job|rank-ingest|ddp-stream|dashboard|thumbnails|scatter|kernel-sim|umap|shards|import-csv [workers]|import-resume|import-profile] [--out docs/benchmarks.md]
Tlc.Metrics.TorchRuntime.PreferPassiveWaiting(); // before libtorch loads, as the tlc command and worker processes do
if (args.Length >= 2 && args[0] == "writer-child")
{
    return await TableBenchmarks.WriterChildAsync(long.Parse(args[1], CultureInfo.InvariantCulture));
}
if (args.Length >= 4 && args[0] == "metrics-writer-child")
{
    return await MetricsBenchmarks.WriterChildAsync(args[1], args[2], long.Parse(args[3], CultureInfo.InvariantCulture), rank: args.Length >= 5 && args[4] == "rank");
}
if (args.Length >= 3 && args[0] == "import-job-child")
{
    return await ImportJobBenchmark.ChildAsync(args[1], args[2]);
}
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var outIndex = Array.IndexOf(args, "--out");
var output = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : null;

var results = new List<BenchResult>();
async Task Run(string name, Func<Task<BenchResult>> bench)
{
    if (which != "all" && which != name)
    {
        return;
    }
    Console.Error.WriteLine($"[bench] {name} ...");
    var result = await bench();
    results.Add(result);
    Console.WriteLine($"{result.Name}: {result.Figure} vs {result.Baseline} → ratio {result.Ratio:F2} (goal {result.Goal}: {(result.Met ? "met" : "NOT met")}) — {result.Notes}");
}

async Task RunMany(string name, Func<Task<BenchResult[]>> bench)
{
    if (which != "all" && which != name)
    {
        return;
    }
    Console.Error.WriteLine($"[bench] {name} ...");
    foreach (var result in await bench())
    {
        results.Add(result);
        Console.WriteLine($"{result.Name}: {result.Figure} vs {result.Baseline} → ratio {result.Ratio:F2} (goal {result.Goal}: {(result.Met ? "met" : "NOT met")}) — {result.Notes}");
    }
}

await Run("scan", TableBenchmarks.ScanAsync);
await Run("random", TableBenchmarks.RandomAccessAsync);
await Run("writer", () => Task.FromResult(TableBenchmarks.WriterMemory()));
await Run("csv", CsvBenchmark.RunAsync);
await Run("lease", LeaseBenchmark.RunAsync);
await Run("collect", CollectBenchmark.RunAsync);
await Run("shards", ShardOverheadBenchmark.RunAsync);
await Run("publish", MetricsBenchmarks.PublishAsync);
await Run("metrics-writer", MetricsBenchmarks.WriterMemoryAsync);
await Run("rank-memory", MetricsBenchmarks.RankWriterMemoryAsync);
await RunMany("import-job", ImportJobBenchmark.RunAsync);
await RunMany("rank-ingest", RankIngestBenchmark.RunAsync);
await Run("ddp-stream", StreamOverheadBenchmark.RunAsync);
await Run("dashboard", DashboardBenchmark.RunAsync);
await Run("thumbnails", ThumbnailBenchmark.RunAsync);
await RunMany("scatter", ScatterBenchmark.RunAsync);
await RunMany("kernel-sim", KernelSimulationBenchmark.RunAsync);
await RunMany("umap", UmapBenchmark.RunAsync);
if (which == "import-parquet-timeline")
{
    await ImportJobBenchmark.ParquetTimelineAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
}
if (which == "import-csv")
{
    await ImportJobBenchmark.CsvOnlyAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2);
}
if (which == "import-resume")
{
    await ImportJobBenchmark.ResumeOnlyAsync();
}
if (which == "import-profile")
{
    await ImportJobBenchmark.ProfileAsync();
}
if (which == "collect-phases")
{
    await CollectBenchmark.PhasesAsync();
}
if (which == "collect-layouts")
{
    await CollectBenchmark.ExploreAsync();
}

if (output is not null)
{
    var md = new StringBuilder();
    md.AppendLine("# Benchmarks");
    md.AppendLine();
    md.AppendLine("Written by `dotnet run -c Release --project bench/Tlc.Bench -- all --out docs/benchmarks.md` (a single benchmark's run replaces");
    md.AppendLine("its rows and says when it ran). Every figure is set against a");
    md.AppendLine("baseline measured in the same run on the same machine; the ratio is baseline time ÷ Tlc time (higher is better) unless noted.");
    md.AppendLine();
    var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
    var rows = results.Select(r => (r.Name, Line: string.Create(CultureInfo.InvariantCulture,
        $"| {r.Name} | {r.Figure} | {r.Baseline} | {r.Ratio:F2} | {r.Goal} | {(r.Met ? "yes" : "no")} | {(which == "all" ? "" : $"(run {now} UTC) ")}{r.Notes} |"))).ToList();
    var runLine = $"Machine: {BenchContext.Machine()}. Run: {now} UTC.";
    if (which != "all" && File.Exists(output))
    {
        // A partial run replaces its own rows of the file and keeps the others (and the full run's date); its rows say when they ran.
        var old = await File.ReadAllLinesAsync(output);
        runLine = old.FirstOrDefault(l => l.StartsWith("Machine: ", StringComparison.Ordinal)) ?? runLine;
        var kept = old.SkipWhile(l => !l.StartsWith("|---", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.StartsWith("| ", StringComparison.Ordinal))
            .Select(l => (Name: l.Split(" | ")[0][2..], Line: l)).ToList();
        foreach (var row in rows)
        {
            var at = kept.FindIndex(k => k.Name == row.Name);
            if (at >= 0)
            {
                kept[at] = row;
            }
            else
            {
                kept.Add(row);
            }
        }
        rows = kept;
    }
    md.AppendLine(runLine);
    md.AppendLine();
    md.AppendLine("| benchmark | Tlc | baseline | ratio | goal | met | notes |");
    md.AppendLine("|---|---|---|---|---|---|---|");
    foreach (var (_, line) in rows)
    {
        md.AppendLine(line);
    }
    md.AppendLine();
    md.AppendLine("## How the cluster benchmarks measure");
    md.AppendLine();
    md.AppendLine("- **collect**: `Run.CollectMetricsAsync` (model spec `fashion-mnist-cnn` with the trained weights, classification + embeddings");
    md.AppendLine("  collectors) on an embedded silo with two in-process workers, timed from the call to the returned, published and");
    md.AppendLine("  registered metrics table (aggregates logged). The bare loop does the same reads and decoding (`table.Sample(i)` →");
    md.AppendLine("  preprocess on parallel decode threads → stack → model → softmax/argmax on an inference thread, pipelined like the");
    md.AppendLine("  runner) with no grains, collectors or files; it runs at its best torch thread count (1 or all cores). Both sides are");
    md.AppendLine("  warmed up until a pass JIT-compiles next to nothing (tiered compilation keeps promoting methods for several passes,");
    md.AppendLine("  and on 2 cores its compiles take CPU from the workers), then alternate so they see the same machine load.");
    md.AppendLine("  Layout: two workers with one decode thread each and single-threaded torch: two independent pipelines keep both");
    md.AppendLine("  cores busy across shard boundaries (one worker's pipeline fill, drain, commit and next lease overlap the other's");
    md.AppendLine("  inference), where one worker with two decode threads leaves the cores partly idle at every shard boundary");
    md.AppendLine("  (`-- collect-layouts` measures the alternatives). Waiting is by long polls: workers hear of a new job and the");
    md.AppendLine("  client of the job's end at once instead of after a polling interval.");
    md.AppendLine("- **lease**: lease + commit of 1-row shards by 16 concurrent callers through the job grain and its segment grains of one");
    md.AppendLine("  embedded silo (leases in batches of 64, one segment reference per batch as a worker keeps, commits group-committed); each commit is appended to the grain-state log and flushed");
    md.AppendLine("  to the OS before the call returns.");
    md.AppendLine("- **shards**: `tlc collect`'s code path (`Run.CollectMetricsAsync`, embedded silo, one in-process worker) over the 60,000-row");
    md.AppendLine("  Fashion-MNIST train table in shards of 4,096, 512 and 64 rows, alternating in the same run; what a shard costs beyond");
    md.AppendLine("  its rows is the extra time of the 64-row shards over the 4,096-row ones, per extra shard, each round against its own");
    md.AppendLine("  baseline. A worker keeps one inference thread per loaded model and parses a job's schema once. A speed probe (a fixed");
    md.AppendLine("  integer loop on both cores) runs between jobs and its range is reported, so a reader sees whether the machine kept its");
    md.AppendLine("  speed. `BENCH_SHARD_SEQUENCE=4096,64,…` times single jobs in that order and prints each job's CPU time by thread");
    md.AppendLine("  (`BENCH_SYSTEM_TIME=1`: kernel time only) — how the malloc trimming below was found.");
    md.AppendLine("- **Found with it (2026-12-08):** the same 4,096-row-shard job took 8 s or 17–27 s by chance, its inference thread");
    md.AppendLine("  spending 1 or 8–11 s in the kernel: glibc's self-adjusting mmap and trim thresholds had activation tensors mapped,");
    md.AppendLine("  faulted in page by page and handed back on every batch. `TorchRuntime.KeepTensorMemory` (called by every inference");
    md.AppendLine("  thread, `tlc` and `tlc worker`) fixes both thresholds (64 MiB, 256 MiB) unless `MALLOC_MMAP_THRESHOLD_`,");
    md.AppendLine("  `MALLOC_TRIM_THRESHOLD_` or `GLIBC_TUNABLES` set them; in 10 jobs after it, 7.5–10.5 s and under 0.6 s of kernel time.");
    md.AppendLine("- **rank-ingest**: a training rank's per-sample rows (example_id + float32 loss, batches of 65,536) through");
    md.AppendLine("  `Run.OpenRankWriterAsync` and through `tlc api`'s HTTP endpoint in the binary form, each timed from opening the share to");
    md.AppendLine("  the closed share, against the same rows written into a local table with no cluster.");
    md.AppendLine("- **rank-memory**: peak RSS of a fresh process (hosting its embedded silo) whose rank writer writes 10^5 or 10^7 rows");
    md.AppendLine("  with the ids in a shuffled order (coverage kept as a bitmap, not one run per row).");
    md.AppendLine("- **ddp-stream**: the DDP example's trainer with 2 PyTorch rank processes (gloo, CPU) trains one epoch of Fashion-MNIST");
    md.AppendLine("  rows read through the training API, with and without writing each sample's loss and step, alternating.");
    md.AppendLine("- **dashboard**: the dashboard grid's query (filter by the input's class and a metric, sort by the metric, one");
    md.AppendLine("  50-row page) over a 10^6-row metrics table joined to its input, through `tlc dashboard`'s HTTP API on loopback.");
    md.AppendLine("- **scatter**: the dashboard's embedding scatter of a 10^6-row metrics table joined to its input in headless Chromium");
    md.AppendLine("  (WebGL on the CPU): from opening the page to the drawn frame, and a lasso from release to the highlighted frame.");
    md.AppendLine("- **thumbnails**: distinct Fashion-MNIST thumbnails through `GET /v1/image?size=64` from a cold cache with 6 concurrent");
    md.AppendLine("  requests (a browser's connections to one host), against decoding the same PNGs in process.");
    md.AppendLine("- **kernel-sim**: the job kernel's real grains (one in-process silo on the embedded file grain storage) in virtual time:");
    md.AppendLine("  10^4 simulated workers lease, work a random number of 1-s steps, renew every 10 s and commit over one job of 10^7");
    md.AppendLine("  probe items; workers die holding leases (seeded) and are replaced 20 s later; the silo is restarted once at half way.");
    md.AppendLine("  Messages are every grain call the silo received (workers' and grains' own) over the items; the largest state is the");
    md.AppendLine("  largest record written; death to re-lease is measured per item a dead worker held.");
    md.AppendLine("- **import-job**: a generated 10^7-row CSV (int64, two float64, a short string) imported as a job on an embedded silo");
    md.AppendLine("  with one and two in-process workers (in-process workers split the cores: one worker parses each chunk on both, two on");
    md.AppendLine("  one each), timed from planning to the published table, against DuckDB (node `@duckdb/node-api`) reading the same file");
    md.AppendLine("  into Parquet with both threads. Per-chunk costs (a lease, a staged writer, a commit) are about 10-15 ms: chunk-size");
    md.AppendLine("  sweeps gave 1 worker 2.1 s at 16 MiB, 2.4 s at 8 MiB, 3.0 s at 4 MiB. Resume cost: one of two workers dies holding a");
    md.AppendLine("  chunk it converted but did not commit once half the chunks are committed; bytes read again = source bytes of every");
    md.AppendLine("  conversion started − the file's size. Memory: peak RSS of a process hosting the silo and two workers, 10^6 vs 10^7 rows.");
    md.AppendLine("- **publish**: a MetricsTableWriter commits 250 chunks of 4,000 rows; timed from the last commit to the published");
    md.AppendLine("  table opened by the writer (the sink reads the part grains, checks every example id once, writes the object file and");
    md.AppendLine("  registers the table). Baseline: copying the chunk files once, the least any publication that moved data would cost.");
    md.AppendLine("- **metrics-writer**: peak RSS of a fresh process (hosting its embedded silo) writing 10^5 or 10^7 metrics rows in");
    md.AppendLine("  batches of 10,000 with full coverage checked.");
    await File.WriteAllTextAsync(output, md.ToString());
    Console.Error.WriteLine($"[bench] wrote {output}");
}
if (!BenchContext.ScratchKept)
{
    try
    {
        Directory.Delete(BenchContext.Scratch, recursive: true);
    }
    catch (IOException)
    {
    }
}
return 0;
