using Tlc.Cluster;
using Tlc.Testing.Cluster;

namespace Tlc.Grains.Tests;

/// <summary>The tests of <see cref="RunGrainTests{TCluster}"/> on the three-silo cluster with grain state on Azurite.</summary>
public sealed class RunGrainTests(ClusterFixture fixture) : RunGrainTests<ClusterFixture>(fixture);

/// <summary>The tests of <see cref="RunGrainTests{TCluster}"/> on the three-silo cluster over Redis (membership, grain state, reminders).</summary>
public sealed class RunGrainRedisTests(RedisClusterFixture fixture) : RunGrainTests<RedisClusterFixture>(fixture);

public abstract class RunGrainTests<TCluster>(TCluster fixture) : IClassFixture<TCluster>
    where TCluster : ClusterFixture
{
    [Fact(Timeout = 60_000)]
    public async Task Init_ParametersStatusLog_AreDurableAndSnapshotted()
    {
        var context = fixture.Context();
        await using var run = await Runs.InitAsync(context, "p", "run-a", new Dictionary<string, object?> { ["lr"] = 0.01, ["epochs"] = 3 }, description: "first");
        await run.SetParametersAsync(new Dictionary<string, object?> { ["epochs"] = 5, ["batch"] = 64 });
        await run.LogAsync(new Dictionary<string, object?> { ["epoch"] = 0, ["loss"] = 1.5 });
        await run.LogAsync(new Dictionary<string, object?> { ["epoch"] = 1, ["loss"] = 0.75 });
        await run.SetStatusAsync(RunStatus.Running);

        var info = await run.GetInfoAsync();
        Assert.Equal(RunStatus.Running, info.Status);
        Assert.Equal("""{"lr":0.01,"epochs":5,"batch":64}""", info.ParametersJson);
        Assert.Equal(0.75, info.LatestAggregates["loss"]);
        Assert.Equal(2, info.LogEntries);
        var log = await run.ReadLogAsync();
        Assert.Equal([1.5, 0.75], log.Select(e => e["loss"]));
        Assert.True(File.Exists(Path.Combine(fixture.Root.Path, "projects/p/runs/run-a/object.tlc.json")));
        await run.CompleteAsync();
        Assert.Equal(RunStatus.Completed, (await run.GetInfoAsync()).Status);
    }

    [Fact(Timeout = 60_000)]
    public async Task Init_IfExists_RenameReuseRaiseOverwrite()
    {
        var context = fixture.Context();
        await using var first = await Runs.InitAsync(context, "p", "same");
        await first.LogAsync(new Dictionary<string, object?> { ["x"] = 1 });
        await using var renamed = await Runs.InitAsync(context, "p", "same");
        Assert.Equal("same_0001", renamed.Name);
        await using var reused = await Runs.InitAsync(context, "p", "same", ifExists: RunIfExists.Reuse);
        Assert.Equal(1, (await reused.GetInfoAsync()).LogEntries);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Runs.InitAsync(context, "p", "same", ifExists: RunIfExists.Raise));
        await using var overwritten = await Runs.InitAsync(context, "p", "same", ifExists: RunIfExists.Overwrite);
        Assert.Equal(0, (await overwritten.GetInfoAsync()).LogEntries);
    }

    [Fact(Timeout = 60_000)]
    public async Task OwnerStopsHeartbeats_RunReadsInterrupted()
    {
        var context = fixture.Context();
        var grain = context.RunGrain("p", "crashy");
        await grain.InitAsync(new RunInit("p", "crashy", context.RunUrl("p", "crashy").Value, null, "{}", context.Identity, false));
        await grain.SetStatusAsync(RunStatus.Running);
        // A heartbeat that expires almost at once, as if the process died right after.
        await grain.HeartbeatAsync(context.Identity, DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
        var early = await grain.GetAsync();
        Assert.True(early.Status is RunStatus.Running or RunStatus.Interrupted);
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        Assert.Equal(RunStatus.Interrupted, (await grain.GetAsync()).Status);
    }

    [Fact(Timeout = 30_000)]
    public async Task UnknownRun_ClearError()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Context().RunGrain("p", "never-made").LogAsync(new LogUpdate([], 1, null)));
        Assert.Contains("Unknown run 'p/never-made'", e.Message, StringComparison.Ordinal);
    }
}
