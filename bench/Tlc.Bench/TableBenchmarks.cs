using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Tlc.Tables.Storage;
using Table = Tlc.Tables.Table;
using Array = System.Array;

namespace Tlc.Bench;

/// <summary>The table engine's benchmarks of issue 2: scan, random access, writer memory.</summary>
internal static class TableBenchmarks
{
    private static TableSchema Schema() => new()
    {
        ["id"] = new Int64Schema(),
        ["x"] = new Float64Schema(),
        ["label"] = new CategoricalLabelSchema(Enumerable.Range(0, 10).Select(i => $"class{i}")),
        ["name"] = new StringSchema(),
    };

    public static async Task<Table> WriteTableAsync(string root, string name, long rows)
    {
        var settings = new TlcOptions { Root = root };
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = Schema(),
            Root = Url.FromLocalPath(root),
            Project = "bench",
            Dataset = "bench",
            Table = name,
            IfExists = IfExists.Overwrite,
            Settings = settings,
        });
        var row = new Dictionary<string, object?>(4);
        for (long i = 0; i < rows; i++)
        {
            row["id"] = i;
            row["x"] = i * 0.5;
            row["label"] = (int)(i % 10);
            row["name"] = "n" + (i % 1000).ToString(CultureInfo.InvariantCulture);
            writer.AddRow(row);
        }
        return await writer.FinalizeAsync();
    }

    /// <summary>Full scan through the table API vs raw ArrowFileReader over the same files (same work: sum two columns).</summary>
    public static async Task<BenchResult> ScanAsync()
    {
        var root = Path.Combine(BenchContext.Scratch, "scan");
        using var table = await WriteTableAsync(root, "scan", 1_000_000);
        var files = table.Object.Chunks.Select(c => ObjectFiles.Resolve(table.Url, c.Url, "chunk").LocalPath).ToArray();
        double checkTable = 0, checkRaw = 0;
        var tableTime = BenchContext.Best(5, () =>
        {
            double sum = 0;
            foreach (var batch in table.ScanBatches())
            {
                sum += Sum(batch);
            }
            checkTable = sum;
        });
        var rawTime = BenchContext.Best(5, () =>
        {
            double sum = 0;
            foreach (var file in files)
            {
                using var stream = File.OpenRead(file);
                using var reader = new ArrowFileReader(stream);
                RecordBatch? batch;
                while ((batch = reader.ReadNextRecordBatch()) is not null)
                {
                    sum += Sum(batch);
                }
            }
            checkRaw = sum;
        });
        if (checkTable != checkRaw)
        {
            throw new InvalidOperationException($"Scan results differ: {checkTable} vs {checkRaw}.");
        }
        var ratio = rawTime.TotalSeconds / tableTime.TotalSeconds;
        return new BenchResult("Full scan, 1M rows × 4 columns", BenchContext.Ms(tableTime), $"raw ArrowFileReader {BenchContext.Ms(rawTime)}",
            ratio, "≥ 0.80 of raw speed", ratio >= 0.80, "sums int64 and float64 columns; best of 5");
    }

    private static double Sum(RecordBatch batch)
    {
        double sum = 0;
        foreach (var v in ((Int64Array)batch.Column(0)).Values)
        {
            sum += v;
        }
        foreach (var v in ((DoubleArray)batch.Column(1)).Values)
        {
            sum += v;
        }
        return sum;
    }

    /// <summary><c>table[i]</c> at random rows of a 1M-row table (after a warm-up pass): p50 and p99 latency.</summary>
    public static async Task<BenchResult> RandomAccessAsync()
    {
        var root = Path.Combine(BenchContext.Scratch, "random");
        using var table = await WriteTableAsync(root, "random", 1_000_000);
        var random = new Random(42);
        const int n = 200_000;
        var rows = Enumerable.Range(0, n).Select(_ => random.Next(table.Count)).ToArray();
        foreach (var r in rows)
        {
            _ = table[r];
        }
        var ticks = new long[n];
        long check = 0;
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var sample = table[rows[i]];
            ticks[i] = Stopwatch.GetTimestamp() - start;
            check += (long)sample["id"]!;
        }
        if (check != rows.Sum(r => (long)r))
        {
            throw new InvalidOperationException("Random access returned wrong rows.");
        }
        Array.Sort(ticks);
        double Micro(long t) => t * 1_000_000.0 / Stopwatch.Frequency;
        var p50 = Micro(ticks[n / 2]);
        var p99 = Micro(ticks[(int)(n * 0.99)]);
        // Baseline: the same row read straight from a cached Arrow batch (the floor the table API adds to).
        var batches = table.ScanBatches().ToList();
        var batchStarts = new long[batches.Count];
        for (var b = 1; b < batches.Count; b++)
        {
            batchStarts[b] = batchStarts[b - 1] + batches[b - 1].Length;
        }
        var floor = new long[n];
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var b = Array.BinarySearch(batchStarts, (long)rows[i]);
            b = b < 0 ? ~b - 1 : b;
            var index = (int)(rows[i] - batchStarts[b]);
            var values = new object?[] { ((Int64Array)batches[b].Column(0)).GetValue(index), ((DoubleArray)batches[b].Column(1)).GetValue(index),
                ((Int32Array)batches[b].Column(2)).GetValue(index), ((StringArray)batches[b].Column(3)).GetString(index) };
            floor[i] = Stopwatch.GetTimestamp() - start;
            GC.KeepAlive(values);
        }
        Array.Sort(floor);
        var floorP50 = Micro(floor[n / 2]);
        return new BenchResult("table[i] random access, scalar row", $"p50 {p50:F2} µs, p99 {p99:F2} µs",
            $"direct Arrow read p50 {floorP50:F2} µs", floorP50 / p50, "p50 ≤ 5 µs", p50 <= 5, "1M rows, 200k random reads after warm-up; ratio = direct read ÷ table[i] at p50");
    }

    /// <summary>Writes <paramref name="rows"/> rows with AddRow in this process and prints the peak RSS (a child of the writer benchmark).</summary>
    public static async Task<int> WriterChildAsync(long rows)
    {
        var root = Path.Combine(BenchContext.Scratch, $"rss-{rows}");
        using (var table = await WriteTableAsync(root, "rss", rows))
        {
            if (table.RowCount != rows)
            {
                throw new InvalidOperationException("Wrong row count.");
            }
        }
        Console.WriteLine(BenchContext.PeakRss().ToString(CultureInfo.InvariantCulture));
        Directory.Delete(root, recursive: true);
        return 0;
    }

    /// <summary>TableWriter peak RSS at 10^5 and 10^7 rows, each in a fresh process.</summary>
    public static BenchResult WriterMemory()
    {
        long Child(long rows)
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            {
                info.ArgumentList.Add(typeof(TableBenchmarks).Assembly.Location);
            }
            info.ArgumentList.Add("writer-child");
            info.ArgumentList.Add(rows.ToString(CultureInfo.InvariantCulture));
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"writer child failed for {rows} rows.");
            }
            return long.Parse(output.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
        }
        var small = Child(100_000);
        var large = Child(10_000_000);
        var growth = large - small;
        return new BenchResult("TableWriter peak RSS, 10^5 vs 10^7 rows", $"10^7: {BenchContext.MiB(large)}", $"10^5: {BenchContext.MiB(small)}",
            (double)large / small, "flat: ≤ +64 MiB", growth <= 64L << 20, $"growth {BenchContext.MiB(growth)}; 4 columns via AddRow; ratio = 10^7 ÷ 10^5 peak (lower is better)");
    }
}
