using System.Globalization;
using System.Text;
using Tlc.Bench;

// tlc benchmarks: dotnet run -c Release --project bench/Tlc.Bench -- [all|scan|random|writer|csv|lease|collect|publish|metrics-writer] [--out docs/benchmarks.md]
if (args.Length >= 2 && args[0] == "writer-child")
{
    return await TableBenchmarks.WriterChildAsync(long.Parse(args[1], CultureInfo.InvariantCulture));
}
if (args.Length >= 4 && args[0] == "metrics-writer-child")
{
    return await MetricsBenchmarks.WriterChildAsync(args[1], args[2], long.Parse(args[3], CultureInfo.InvariantCulture));
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

await Run("scan", TableBenchmarks.ScanAsync);
await Run("random", TableBenchmarks.RandomAccessAsync);
await Run("writer", () => Task.FromResult(TableBenchmarks.WriterMemory()));
await Run("csv", CsvBenchmark.RunAsync);
await Run("lease", LeaseBenchmark.RunAsync);
await Run("collect", CollectBenchmark.RunAsync);
await Run("publish", MetricsBenchmarks.PublishAsync);
await Run("metrics-writer", MetricsBenchmarks.WriterMemoryAsync);
if (which == "collect-phases")
{
    await CollectBenchmark.PhasesAsync();
}
if (which == "collect-runner")
{
    await CollectBenchmark.RunnerAsync();
}
if (which == "collect-threads")
{
    await CollectBenchmark.ThreadsAsync();
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
    md.AppendLine("Written by `dotnet run -c Release --project bench/Tlc.Bench -- all --out docs/benchmarks.md`. Every figure is set against a");
    md.AppendLine("baseline measured in the same run on the same machine; the ratio is baseline time ÷ Tlc time (higher is better) unless noted.");
    md.AppendLine();
    md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {BenchContext.Machine()}. Run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.");
    md.AppendLine();
    md.AppendLine("| benchmark | Tlc | baseline | ratio | goal | met | notes |");
    md.AppendLine("|---|---|---|---|---|---|---|");
    foreach (var r in results)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Figure} | {r.Baseline} | {r.Ratio:F2} | {r.Goal} | {(r.Met ? "yes" : "no")} | {r.Notes} |");
    }
    await File.WriteAllTextAsync(output, md.ToString());
    Console.Error.WriteLine($"[bench] wrote {output}");
}
try
{
    Directory.Delete(BenchContext.Scratch, recursive: true);
}
catch (IOException)
{
}
return 0;
