using System.Diagnostics;
using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Table = Tlc.Tables.Table;

namespace Tlc.Bench;

/// <summary>
/// Durable shard lease+commit cycles per second on one embedded silo (grain state on local disk, so it survives a killed
/// process), against trivial grain calls through the same client with the same concurrency.
/// </summary>
internal static class LeaseBenchmark
{
    private const int Shards = 30_000;
    private const int Callers = 16;
    private const int LeaseBatch = 64;
    private const int Repeats = 3;

    public static async Task<BenchResult> RunAsync()
    {
        var root = Path.Combine(BenchContext.Scratch, "lease");
        var settings = new TlcOptions { Root = root };
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var context = connection.Context;
        using var table = await TableBenchmarks.WriteTableAsync(root, "lease-input", Shards);
        await using var run = await Runs.InitAsync(context, "bench", "lease");
        // Baseline: trivial read-only grain calls, same client and concurrency.
        var queue = context.Client.GetGrain<IJobQueueGrain>("default");
        var baselineCalls = 0;
        var baselineWatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(async _ =>
        {
            while (baselineWatch.Elapsed < TimeSpan.FromSeconds(2))
            {
                await queue.GetActiveAsync();
                Interlocked.Increment(ref baselineCalls);
            }
        }));
        var baselineRate = baselineCalls / baselineWatch.Elapsed.TotalSeconds;

        async Task<double> CyclesAsync()
        {
            var jobId = Guid.NewGuid().ToString("N");
            var spec = new MetricsJobSpec
            {
                JobId = jobId,
                Items = Shards,
                ShardRows = 1,
                BatchSize = 1,
                TableUrl = table.Url.Value,
                TableObjectId = table.Object.Id,
                TableRows = table.RowCount,
                Model = new ModelSpec(ModelKinds.Factory, "none"),
                Collectors = [],
                RunKey = run.Key,
                MetricsTableUrl = run.Url.Join($"metrics/lease-{jobId[..8]}").Value,
                StreamName = "lease",
                OutputSchemaJson = new TableSchema { ["example_id"] = new ExampleIdSchema() }.ToJson().ToJsonString(),
                Submitted = DateTimeOffset.UtcNow,
            };
            await JobHandle.SubmitAsync(context, spec);
            var job = context.Client.GetGrain<IJobGrain>(jobId);

            var cycles = 0;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Callers).Select(async c =>
            {
                var worker = new WorkerRef($"bench-{c}", "1");
                while (true)
                {
                    var grants = (await job.LeaseAsync(worker, LeaseBatch)).Grants;
                    if (grants.Length == 0)
                    {
                        return;
                    }
                    // As a worker does: one grain reference per segment a batch of grants comes from.
                    var segments = grants.Select(g => JobKeys.SegmentOf(g.Item, spec.ItemsPerSegment)).Distinct()
                        .ToDictionary(s => s, s => context.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(jobId, s)));
                    await Task.WhenAll(grants.Select(async g =>
                    {
                        var result = await segments[JobKeys.SegmentOf(g.Item, spec.ItemsPerSegment)]
                            .CommitAsync(new PartCommit
                            {
                                Item = g.Item, OperationId = Guid.NewGuid().ToString("N"), Attempt = g.Attempt, Token = g.Token, Rows = 1,
                                ChunkUrl = $"chunks/{g.Item}.arrow", Bytes = 1, Batches = [1], Ids = IdSet.FromRuns([new IdRun(g.Item, 1)]),
                            });
                        if (result.Outcome != CommitOutcome.Accepted)
                        {
                            throw new InvalidOperationException($"commit {g.Item}: {result.Outcome} {result.Reason}");
                        }
                        Interlocked.Increment(ref cycles);
                    }));
                }
            }));
            watch.Stop();
            if (cycles != Shards)
            {
                throw new InvalidOperationException($"{cycles} cycles for {Shards} shards.");
            }
            return cycles / watch.Elapsed.TotalSeconds;
        }

        // One job to warm up (JIT, activation paths), not counted.
        await CyclesAsync();
        var rates = new List<double>();
        for (var r = 0; r < Repeats; r++)
        {
            rates.Add(await CyclesAsync());
        }
        var rate = rates.Order().ElementAt(Repeats / 2);
        return new BenchResult("Durable shard lease+commit cycles, one embedded silo", $"{rate:F0} cycles/s",
            $"trivial grain call {baselineRate:F0}/s", rate / baselineRate, "≥ 25,000 cycles/s", rate >= 25_000,
            $"{Shards} shards per job, median of {Repeats} jobs after one warm-up job ({string.Join(", ", rates.Select(x => x.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}/s); {Callers} concurrent callers leasing {LeaseBatch} at a time; " +
            "every lease and commit group-committed as a delta of its segment to the grain-state log and flushed to the OS before it is acknowledged");
    }
}
