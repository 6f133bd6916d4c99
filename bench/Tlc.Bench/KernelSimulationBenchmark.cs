using System.Globalization;
using Tlc.Testing.Cluster.Kernel;

namespace Tlc.Bench;

/// <summary>
/// The job kernel at internet scale: its real grains on one in-process silo (file grain storage), driven in virtual time
/// by 10^4 simulated workers over one job of 10^7 items (shards of 10^3 rows would make it 10^10 rows), with seeded worker
/// deaths and one silo restart. Every item must be committed exactly once; the figures are control messages per item,
/// the largest grain state written, the time from a worker's death to its items being leased again, and memory.
/// </summary>
internal static class KernelSimulationBenchmark
{
    public static async Task<BenchResult[]> RunAsync()
    {
        var items = int.Parse(Environment.GetEnvironmentVariable("BENCH_SIM_ITEMS") ?? "10000000", CultureInfo.InvariantCulture);
        var workers = int.Parse(Environment.GetEnvironmentVariable("BENCH_SIM_WORKERS") ?? "10000", CultureInfo.InvariantCulture);
        var batch = int.Parse(Environment.GetEnvironmentVariable("BENCH_SIM_BATCH") ?? "16", CultureInfo.InvariantCulture);
        var seed = int.Parse(Environment.GetEnvironmentVariable("BENCH_SIM_SEED") ?? "7", CultureInfo.InvariantCulture);
        var options = new SimulationOptions { Items = items, Workers = workers, LeaseBatch = batch, Seed = seed };
        var folder = Path.Combine(BenchContext.Scratch, $"kernel-sim-{seed}");
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
        var result = await JobSimulation.RunAsync(folder, options, new Progress<string>(m => Console.Error.WriteLine($"[bench] kernel-sim {m}")));
        if (!BenchContext.ScratchKept)
        {
            Directory.Delete(folder, recursive: true);
        }
        var exact = result.ExactlyOnce == items && result.Duplicates == 0 && result.Missing == 0 && result.Published == items;
        var scale = $"{items:N0} items (shards of 10^3 rows ≈ {items * 1000.0:0.#e0} rows), {workers:N0} simulated workers leasing {batch} at a time, seed {seed}";
        var notes = $"{scale}; {result.Deaths:N0} worker deaths, {result.Restarts} silo restart; " +
            $"{(exact ? "every item committed exactly once and read back at publication" : $"NOT exactly once: {result.ExactlyOnce:N0} once, {result.Duplicates:N0} twice, {result.Missing:N0} missing, {result.Published:N0} published")}; " +
            $"virtual time {result.VirtualTime.TotalMinutes:F1} min, wall time {result.WallTime.TotalMinutes:F1} min";
        var calls = string.Join(", ", result.Calls.OrderByDescending(c => c.Value).Take(6).Select(c => $"{c.Key} {(double)c.Value / items:F2}"));
        return
        [
            new BenchResult("Kernel simulation: control messages per item", $"{result.MessagesPerItem:F2}", "goal 4", result.MessagesPerItem / 4, "≤ 4 amortised",
                exact && result.MessagesPerItem <= 4, $"{notes}; every grain call the silo received over the items: {calls}; ratio = messages ÷ 4 (lower is better)"),
            new BenchResult("Kernel simulation: largest grain state", $"{result.LargestState.Bytes / 1024.0:F1} KiB", "goal 1 MiB", result.LargestState.Bytes / (double)(1 << 20),
                "≤ 1 MiB", exact && result.LargestState.Bytes <= 1 << 20,
                $"{scale}; the largest record written ({result.LargestState.State}); {BenchContext.MiB(result.StateBytesWritten)} of state written in all ({result.StateBytesWritten / (double)items:F0} bytes per item); ratio = bytes ÷ 1 MiB (lower is better)"),
            new BenchResult("Kernel simulation: worker death to its items leased again", $"longest {result.LongestDeathToRelease.TotalSeconds:F0} s",
                $"lease {options.Lease.TotalSeconds:F0} s", result.LongestDeathToRelease / options.Lease, "≤ 2 × lease", exact && result.LongestDeathToRelease <= 2 * options.Lease,
                $"{scale}; {result.Released:N0} items re-leased after their worker died, median {result.MedianDeathToRelease.TotalSeconds:F0} s (virtual time; workers renew every {options.RenewEvery.TotalSeconds:F0} s, idle ones poll with back-off up to {options.MaxPollTicks} s); ratio = longest ÷ lease"),
            new BenchResult("Kernel simulation: wall time and memory", $"{result.WallTime.TotalMinutes:F1} min, peak {BenchContext.MiB(result.PeakWorkingSet)}",
                $"{items:N0} items", result.WallTime.TotalSeconds / items * 1e6, "minutes; memory bounded", exact,
                $"{scale}; peak working set of the process (silo and all simulated workers), managed heap {BenchContext.MiB(result.ManagedHeapAtEnd)} at the end; segments deactivate once done; ratio = wall µs per item"),
        ];
    }
}
