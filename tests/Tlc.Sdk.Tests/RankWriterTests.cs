using System.Collections;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Storage;

namespace Tlc.Sdk.Tests;

/// <summary>
/// Ranks of a distributed training launch writing one metrics table per stream and epoch (Run.OpenRankWriterAsync): each
/// rank's share, published by the kernel once every rank closed; a restarted rank replaces its unfinished share, a stale
/// attempt is refused, a closed share is final.
/// </summary>
public sealed class RankWriterTests(EmbeddedClusterFixture fixture) : IClassFixture<EmbeddedClusterFixture>
{
    private static readonly TableSchema Loss = new() { ["loss"] = new Float32Schema() };

    private static int _tables;

    private async Task<Table> ForeignAsync(int rows) => await Table.FromDictAsync(new Dictionary<string, IEnumerable>
    {
        ["name"] = Enumerable.Range(0, rows).Select(i => $"row{i}").ToArray(),
    }, new ImportOptions
    {
        Project = "ranks", Dataset = "data", Table = $"input-{Interlocked.Increment(ref _tables)}", Root = fixture.Root.Url, Settings = fixture.Root.Settings,
    });

    private static Dictionary<string, IList> Batch(IEnumerable<long> ids, Func<long, float> loss)
    {
        var array = ids.ToArray();
        return new() { ["example_id"] = array, ["loss"] = array.Select(loss).ToArray() };
    }

    private static readonly MetricsWriterOptions Small = new() { ChunkRows = 64, RequireFullCoverage = true };

    /// <summary>A DistributedSampler's share without padding: ids r, r+N, … shuffled with a seed.</summary>
    private static long[] Share(int rows, int rank, int world, int seed) =>
        Enumerable.Range(0, rows).Where(i => i % world == rank).Select(i => (long)i).ToArray().Shuffled(seed);

    [Fact(Timeout = 90_000)]
    public async Task ThreeRanks_ShuffledIds_PublishedOnceEveryRankClosed_EachIdOnceSortedOnRead_WithTheEpoch()
    {
        const int rows = 600;
        using var foreign = await ForeignAsync(rows);
        await using var run = await Runs.InitAsync(fixture.Context, "ranks", "three", ifExists: RunIfExists.Overwrite);
        var writers = new List<MetricsTableWriter>();
        for (var rank = 0; rank < 3; rank++)
        {
            var writer = await run.OpenRankWriterAsync(foreign, Loss, "eval", epoch: 4, new RankInfo(rank, 3, rank, "launch-three", $"attempt-{rank}"), Small);
            writers.Add(writer);
            foreach (var chunk in Share(rows, rank, 3, seed: rank).Chunk(50))
            {
                await writer.AddBatchAsync(Batch(chunk, i => i * 0.5f));
            }
        }
        Assert.Single(writers.Select(w => w.SinkId).Distinct());
        await writers[0].CloseAsync();
        await writers[2].CloseAsync();

        var job = await JobHandle.AttachAsync(fixture.Context, writers[0].SinkId);
        var waiting = await job.GetProgressAsync();
        Assert.Equal(JobStatus.Running, waiting.Status);
        Assert.Equal((3, 2, "rank"), (waiting.Writers, waiting.WritersClosed, waiting.WriterNoun));
        Assert.Equal([1], waiting.WritersWaiting);
        Assert.Null(waiting.ResultUrl);

        await writers[1].DisposeAsync();
        using var table = await writers[2].WaitForTableAsync(TestContext.Current.CancellationToken);

        Assert.Equal(rows, table.RowCount);
        // Each rank wrote its shuffled share (r, r+3, …): read back, the rows come by example_id.
        var ids = Enumerable.Range(0, rows).Select(r => (long)table.Rows[r]["example_id"]!).ToArray();
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (long)i), ids);
        Assert.Equal("example_id", table.Object.Properties?[TableObject.RowOrderProperty]);
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(ids[r] * 0.5f, (float)table.Rows[r]["loss"]!));
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(4, table.Rows[r]["epoch"]));
        Assert.Contains((await run.GetInfoAsync()).MetricsTables, m => m.Url == table.Url.Value && m.StreamName == "eval");
    }

    [Fact(Timeout = 90_000)]
    public async Task RankRestarted_NewAttemptReplacesItsUnfinishedShare_StaleAttemptRefused_ClosedShareFinal()
    {
        const int rows = 400;
        using var foreign = await ForeignAsync(rows);
        await using var run = await Runs.InitAsync(fixture.Context, "ranks", "restart", ifExists: RunIfExists.Overwrite);
        var launch = "launch-restart";
        await using (var rank0 = await run.OpenRankWriterAsync(foreign, Loss, "train", epoch: 0, new RankInfo(0, 2, 0, launch, "r0-first"), Small))
        {
            await rank0.AddBatchAsync(Batch(Share(rows, 0, 2, seed: 1), i => i * 0.5f));
        }
        // Rank 1's first attempt commits chunks of wrong values, then dies without closing.
        var dead = await run.OpenRankWriterAsync(foreign, Loss, "train", epoch: 0, new RankInfo(1, 2, 1, launch, "r1-first"), Small);
        foreach (var chunk in Share(rows, 1, 2, seed: 2).Take(150).Chunk(50))
        {
            await dead.AddBatchAsync(Batch(chunk, _ => -1f));
        }

        // The launch restarts: rank 0's share was closed (final), rank 1's new attempt replaces its unfinished one.
        var rank0Again = await run.OpenRankWriterAsync(foreign, Loss, "train", epoch: 0, new RankInfo(0, 2, 0, launch, "r0-second"), Small);
        Assert.True(rank0Again.IsClosed);
        await rank0Again.AddBatchAsync(Batch(Share(rows, 0, 2, seed: 3), _ => -2f));
        await rank0Again.CloseAsync();
        var rank1 = await run.OpenRankWriterAsync(foreign, Loss, "train", epoch: 0, new RankInfo(1, 2, 1, launch, "r1-second"), Small);
        var stale = await Assert.ThrowsAsync<InvalidOperationException>(() => dead.AddBatchAsync(Batch(Share(rows, 1, 2, seed: 2).Skip(150), _ => -1f)));
        Assert.Contains("stale", stale.Message, StringComparison.Ordinal);
        Assert.Contains("r1-second", stale.Message, StringComparison.Ordinal);
        foreach (var chunk in Share(rows, 1, 2, seed: 4).Chunk(50))
        {
            await rank1.AddBatchAsync(Batch(chunk, i => i * 0.5f));
        }
        await rank1.CloseAsync();
        using var table = await rank1.WaitForTableAsync(TestContext.Current.CancellationToken);

        Assert.Equal(rows, table.RowCount);
        // Each rank wrote its shuffled share (r, r+3, …): read back, the rows come by example_id.
        var ids = Enumerable.Range(0, rows).Select(r => (long)table.Rows[r]["example_id"]!).ToArray();
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (long)i), ids);
        Assert.Equal("example_id", table.Object.Properties?[TableObject.RowOrderProperty]);
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(ids[r] * 0.5f, (float)table.Rows[r]["loss"]!));
        // The replaced attempt's chunk files are deleted once the table is published without them.
        var listed = table.Object.Chunks.Select(c => Path.GetFileName(c.Url)).ToHashSet();
        var chunks = Path.Combine(table.Url.LocalPath, "chunks");
        for (var wait = 0; wait < 100 && Directory.GetFiles(chunks).Length > listed.Count; wait++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.Equal(listed.Order(), Directory.GetFiles(chunks).Select(Path.GetFileName).Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task LogRank_ThreeRanks_OneEntryPerStepOnceAllReported_MeanOrSumStated()
    {
        await using var run = await Runs.InitAsync(fixture.Context, "ranks", "log", ifExists: RunIfExists.Overwrite);
        RankInfo Rank(int r) => new(r, 3, r, "launch-log", $"a{r}");

        for (var epoch = 0; epoch < 2; epoch++)
        {
            for (var r = 0; r < 3; r++)
            {
                Assert.Equal(epoch, (await run.ReadLogAsync()).Count);
                await run.LogRankAsync(new Dictionary<string, object?> { ["epoch"] = epoch, ["loss"] = 1.0 + r + epoch, ["accuracy"] = 0.5 }, Rank(r));
            }
        }
        await run.LogRankAsync(new Dictionary<string, object?> { ["iteration"] = 7, ["samples"] = 100 }, Rank(1), LogReduction.Sum);
        await run.LogRankAsync(new Dictionary<string, object?> { ["iteration"] = 7, ["samples"] = 101 }, Rank(0), LogReduction.Sum);
        await run.LogRankAsync(new Dictionary<string, object?> { ["iteration"] = 7, ["samples"] = 99 }, Rank(2), LogReduction.Sum);

        var log = await run.ReadLogAsync();
        Assert.Equal(3, log.Count);
        Assert.Equal((0.0, 2.0, 0.5), (log[0]["epoch"], log[0]["loss"], log[0]["accuracy"]));
        Assert.Equal((1.0, 3.0), (log[1]["epoch"], log[1]["loss"]));
        Assert.Equal((7.0, 300.0), (log[2]["iteration"], log[2]["samples"]));
        var info = await run.GetInfoAsync();
        Assert.Equal("mean of 3 ranks", info.LogReductions["loss"]);
        Assert.Equal("sum of 3 ranks", info.LogReductions["samples"]);
        Assert.Empty(info.PendingRankLogs);
        var noStep = await Assert.ThrowsAsync<ArgumentException>(() => run.LogRankAsync(new Dictionary<string, object?> { ["loss"] = 1.0 }, Rank(0)));
        Assert.Contains("'epoch' or 'iteration'", noStep.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task RanksDisagree_WorldSizeOrColumns_ClearError()
    {
        using var foreign = await ForeignAsync(10);
        await using var run = await Runs.InitAsync(fixture.Context, "ranks", "disagree", ifExists: RunIfExists.Overwrite);
        var first = await run.OpenRankWriterAsync(foreign, Loss, "eval", epoch: 1, new RankInfo(0, 2, 0, "launch-x", "a"));

        var world = await Assert.ThrowsAsync<InvalidOperationException>(() => run.OpenRankWriterAsync(foreign, Loss, "eval", epoch: 1, new RankInfo(1, 3, 1, "launch-x", "b")));
        var columns = await Assert.ThrowsAsync<InvalidOperationException>(() => run.OpenRankWriterAsync(foreign, new TableSchema { ["accuracy"] = new Float32Schema() }, "eval", epoch: 1, new RankInfo(1, 2, 1, "launch-x", "c")));

        Assert.Contains("world size (2, this rank says 3)", world.Message, StringComparison.Ordinal);
        Assert.Contains("columns", columns.Message, StringComparison.Ordinal);
        Assert.False(first.IsClosed);
    }
}

internal static class ShuffleExtensions
{
    /// <summary>The items in a seeded random order (the same seed, the same order).</summary>
    public static T[] Shuffled<T>(this T[] items, int seed)
    {
        var copy = (T[])items.Clone();
        new Random(seed).Shuffle(copy);
        return copy;
    }
}
