using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Tlc.Bench;

/// <summary>One benchmark's outcome: the figure, its baseline, the ratio and the goal.</summary>
internal sealed record BenchResult(string Name, string Figure, string Baseline, double Ratio, string Goal, bool Met, string Notes);

/// <summary>Shared helpers: a scratch folder, timing, memory readings, the machine description.</summary>
internal static class BenchContext
{
    public static string Scratch { get; } = CreateScratch();

    /// <summary>True when BENCH_SCRATCH names the scratch folder: it is kept after the run.</summary>
    public static bool ScratchKept => Environment.GetEnvironmentVariable("BENCH_SCRATCH") is { Length: > 0 };

    private static string CreateScratch()
    {
        // BENCH_SCRATCH keeps generated inputs between runs (profiling); by default each run has its own folder.
        var path = Environment.GetEnvironmentVariable("BENCH_SCRATCH") is { Length: > 0 } kept
            ? kept
            : Path.Combine(Path.GetTempPath(), "tlc-bench", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The best of <paramref name="runs"/> timings of <paramref name="action"/>, after one warm-up.</summary>
    public static TimeSpan Best(int runs, Action action)
    {
        action();
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            watch.Stop();
            if (watch.Elapsed < best)
            {
                best = watch.Elapsed;
            }
        }
        return best;
    }

    /// <summary>The process's peak resident set (VmHWM), in bytes.</summary>
    public static long PeakRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("No VmHWM in /proc/self/status.");
    }

    public static string Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memory = File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return $"{Environment.ProcessorCount} cores ({cpu}), {long.Parse(memory, CultureInfo.InvariantCulture) / 1024 / 1024} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    /// <summary>The repository root (the folder holding Tlc.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tlc.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("No Tlc.sln above the benchmark.");
    }

    /// <summary>The prepared fixture folder (TLC_TEST_FIXTURES, else .fixtures/): npm packages for baselines, real data.</summary>
    public static string FixtureRoot() => Environment.GetEnvironmentVariable("TLC_TEST_FIXTURES") is { Length: > 0 } f ? f : Path.Combine(RepositoryRoot(), ".fixtures");

    public static string Ms(TimeSpan t) => $"{t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)} ms";

    public static string MiB(long bytes) => $"{(bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture)} MiB";
}
