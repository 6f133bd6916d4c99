using Tlc.Cluster;
using Tlc.Testing;
using Tlc.Testing.Cluster.Kernel;

namespace Tlc.Grains.Tests.Jobs;

/// <summary>
/// The kernel at scale: 10^4 simulated workers over a job of 10^5 items in virtual time, with seeded worker deaths and one
/// silo restart (the benchmark runs the same at 10^7 items).
/// </summary>
public sealed class JobSimulationTests : IDisposable
{
    private readonly TempRoot _root = new("kernel-sim");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 600_000)]
    public async Task TenThousandWorkers_HundredThousandItems_DeathsAndARestart_EveryItemExactlyOnce_WithinTheBudgets()
    {
        var options = new SimulationOptions { Items = 100_000, Workers = 10_000, LeaseBatch = 4, Seed = 11 };
        var result = await JobSimulation.RunAsync(Path.Combine(_root.Path, "state"), options, new Progress<string>(m => TestContext.Current.SendDiagnosticMessage(m)),
            TestContext.Current.CancellationToken);

        TestContext.Current.SendDiagnosticMessage($"virtual {result.VirtualTime}, wall {result.WallTime}, deaths {result.Deaths}, released {result.Released} " +
            $"(longest {result.LongestDeathToRelease}, median {result.MedianDeathToRelease}), {result.MessagesPerItem:F2} messages per item, largest state {result.LargestState}, " +
            $"state written {result.StateBytesWritten >> 20} MiB, peak working set {result.PeakWorkingSet >> 20} MiB");
        Assert.Equal(JobStatus.Completed, result.Final.Status);
        Assert.Equal(options.Items, result.ExactlyOnce);
        Assert.Equal((0L, 0L), (result.Duplicates, result.Missing));
        Assert.Equal(options.Items, result.Published);
        Assert.Equal(1, result.Restarts);
        Assert.True(result.Deaths > 50, $"{result.Deaths} deaths");
        Assert.True(result.Released > 20, $"{result.Released} items re-leased after deaths");
        Assert.True(result.LongestDeathToRelease <= 2 * options.Lease, $"death to re-lease took {result.LongestDeathToRelease}");
        Assert.True(result.MessagesPerItem <= 4, $"{result.MessagesPerItem:F2} messages per item: {string.Join(", ", result.Calls.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}"))}");
        Assert.True(result.LargestState.Bytes <= 1 << 20, $"largest state: {result.LargestState}");
    }

    [Fact(Timeout = 600_000)]
    public async Task FreshWorkLeftAllAlong_DeadWorkersItems_LeasedAgainWithinTwoLeases()
    {
        // Few workers for many items: pending items remain until the end, and a dead worker's expired leases must still go
        // out again within a lease or so, not wait until the fresh items run out.
        var options = new SimulationOptions { Items = 50_000, Workers = 500, LeaseBatch = 4, DeathRate = 0.002, RestartAt = null, Seed = 5 };
        var result = await JobSimulation.RunAsync(Path.Combine(_root.Path, "state"), options, null, TestContext.Current.CancellationToken);

        TestContext.Current.SendDiagnosticMessage($"virtual {result.VirtualTime}, deaths {result.Deaths}, released {result.Released} " +
            $"(longest {result.LongestDeathToRelease}, median {result.MedianDeathToRelease})");
        Assert.Equal(JobStatus.Completed, result.Final.Status);
        Assert.Equal(options.Items, result.ExactlyOnce);
        Assert.True(result.Released > 20, $"{result.Released} items re-leased after deaths");
        Assert.True(result.LongestDeathToRelease <= 2 * options.Lease, $"death to re-lease took {result.LongestDeathToRelease}");
    }
}
