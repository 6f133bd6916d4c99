using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import;

namespace Tlc.Bench;

/// <summary>CSV import of a generated 1M-row file (10 numeric + 1 short string column) against DuckDB's CSV → Parquet on the same cores.</summary>
internal static class CsvBenchmark
{
    public const int Rows = 1_000_000;

    /// <summary>Writes the benchmark CSV with a fixed seed: 5 int64, 5 float64 and one short string column.</summary>
    public static string Generate(string folder)
    {
        var path = Path.Combine(folder, "bench-1m.csv");
        if (File.Exists(path))
        {
            return path;
        }
        Directory.CreateDirectory(folder);
        var random = new Random(20261128);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        writer.WriteLine("i0,i1,i2,i3,i4,f0,f1,f2,f3,f4,name");
        var line = new StringBuilder(128);
        for (var r = 0; r < Rows; r++)
        {
            line.Clear();
            for (var c = 0; c < 5; c++)
            {
                line.Append(random.NextInt64(-1_000_000, 1_000_000).ToString(CultureInfo.InvariantCulture)).Append(',');
            }
            for (var c = 0; c < 5; c++)
            {
                line.Append((random.NextDouble() * 1000).ToString("F4", CultureInfo.InvariantCulture)).Append(',');
            }
            line.Append("s").Append(random.Next(100_000).ToString(CultureInfo.InvariantCulture));
            writer.WriteLine(line);
        }
        return path;
    }

    public static async Task<BenchResult> RunAsync()
    {
        var folder = Path.Combine(BenchContext.Scratch, "csv");
        var csv = Generate(folder);
        var root = Path.Combine(folder, "root");
        var options = new CsvImportOptions
        {
            Root = Url.FromLocalPath(root), Settings = new TlcOptions { Root = root }, Dataset = "bench", Table = "csv", IfExists = IfExists.Overwrite,
        };
        long rows = 0;
        var tlc = BenchContext.Best(3, () =>
        {
            using var table = Table.FromCsvAsync(csv, options).GetAwaiter().GetResult();
            rows = table.RowCount;
        });
        if (rows != Rows)
        {
            throw new InvalidOperationException($"Imported {rows} rows, expected {Rows}.");
        }
        var duck = DuckDb(csv, Path.Combine(folder, "duck.parquet"), threads: Environment.ProcessorCount, runs: 3, Rows);
        var ratio = duck.TotalSeconds / tlc.TotalSeconds;
        return new BenchResult($"CSV import, 1M rows × 11 columns ({new FileInfo(csv).Length / 1048576} MiB)", BenchContext.Ms(tlc),
            $"DuckDB CSV→Parquet, {Environment.ProcessorCount} threads, {BenchContext.Ms(duck)}", ratio, "≥ 1.0 of DuckDB's speed", ratio >= 1.0,
            $"Tlc: Sep parse of record-aligned byte ranges on {Environment.ProcessorCount} cores into Arrow, table published; best of 3 warm runs each");
    }

    /// <summary>DuckDB (through node) reading <paramref name="csv"/> into Parquet, best of <paramref name="runs"/>.</summary>
    internal static TimeSpan DuckDb(string csv, string output, int threads, int runs, long expectedRows, string mode = "parquet")
    {
        var nodeModules = Path.Combine(BenchContext.FixtureRoot(), "npm", "node_modules");
        var script = Path.Combine(BenchContext.RepositoryRoot(), "bench", "scripts", "duckdb_csv_to_parquet.cjs");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { script, csv, output, threads.ToString(CultureInfo.InvariantCulture), runs.ToString(CultureInfo.InvariantCulture), mode })
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["NODE_PATH"] = nodeModules;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"DuckDB baseline failed (needs tests/fixtures/prepare.sh for {nodeModules}): {stderr}");
        }
        using var json = JsonDocument.Parse(stdout);
        if (json.RootElement.GetProperty("rows").GetInt64() != expectedRows)
        {
            throw new InvalidOperationException("DuckDB wrote the wrong number of rows.");
        }
        return TimeSpan.FromMilliseconds(json.RootElement.GetProperty("ms").GetDouble());
    }
}
