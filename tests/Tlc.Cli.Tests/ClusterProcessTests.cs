using System.Text.Json;
using Apache.Arrow;
using Table = Tlc.Tables.Table;
using Tlc.Metrics;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>
/// The cluster as separate processes: <c>tlc silo</c>, two workers (<c>tlc worker</c> and <c>dotnet Tlc.Workers.dll</c>)
/// loading the model factory from a plugin folder, and <c>tlc collect</c> with no worker of its own.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class ClusterProcessTests : IDisposable
{
    private readonly TempRoot _root = new("cluster");

    public void Dispose() => _root.Dispose();

    private async Task<(CliProcess.Running Silo, CliProcess.Running W1, CliProcess.Running W2)> StartClusterAsync()
    {
        var silo = CliProcess.Start(["silo", "--root", _root.Path]);
        await silo.WaitForLineAsync("Silo serving");
        var plugins = ClusterCliSupport.PluginFolder(_root);
        var w1 = CliProcess.Start(["worker", "--root", _root.Path, "--plugins", plugins, "--threads", "1", "--decode-threads", "1", "--id", "w1", "--poll-interval", "0.1"]);
        var w2 = CliProcess.Start(["--root", _root.Path, "--plugins", plugins, "--threads", "1", "--decode-threads", "1", "--id", "w2", "--poll-interval", "0.1"], assembly: "Tlc.Workers.dll");
        foreach (var worker in new[] { w1, w2 })
        {
            var ready = await worker.WaitForLineAsync("ready:");
            Assert.Contains("device cpu; 1 torch thread(s)", ready, StringComparison.Ordinal);
            Assert.Contains("plugin models [test-plugin-fashion-cnn]", ready, StringComparison.Ordinal);
        }
        return (silo, w1, w2);
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloAndTwoPluginWorkers_CollectWithoutLocalWorkers_EveryIdOnceComputedByBoth()
    {
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 20, _root.Path);
        var (silo, w1, w2) = await StartClusterAsync();
        await using var _ = silo;
        await using var __ = w1;
        await using var ___ = w2;

        var second = await CliProcess.RunAsync(["silo", "--root", _root.Path]);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already serves", second.Stderr, StringComparison.Ordinal);

        var result = await CliProcess.RunAsync([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/two-workers", delayMs: 100), "--workers", "0", "--json"]);
        Assert.True(result.ExitCode == 0, $"{result.Stderr}\n{w1.Transcript}\n{w2.Transcript}");
        using var json = JsonDocument.Parse(result.Stdout);
        var jobId = json.RootElement.GetProperty("job_id").GetString()!;
        Assert.Equal(0, json.RootElement.GetProperty("workers_in_process").GetInt32());
        Assert.Equal(200, json.RootElement.GetProperty("rows").GetInt64());
        Assert.Equal(13, json.RootElement.GetProperty("shards").GetInt32());

        // Each example_id once, and the values are the CNN's: the same predictions as the model run here, in process.
        using var metrics = await Table.OpenAsync(json.RootElement.GetProperty("metrics_table_url").GetString()!);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), metrics.Rows.Select(r => (long)r["example_id"]!));
        Assert.Equal(await PredictInProcessAsync(table), metrics.Rows.Select(r => (int)r["predicted"]!).ToArray());
        Assert.Equal(128, ((float[])metrics.Rows[0]["embeddings_9"]!).Length);

        // Both workers committed shards, and every shard was accepted exactly once.
        await Task.Delay(500); // the console logger writes asynchronously
        var byW1 = ClusterCliSupport.AcceptedShards(w1.Stdout, jobId);
        var byW2 = ClusterCliSupport.AcceptedShards(w2.Stdout, jobId);
        Assert.True(byW1.Count > 0 && byW2.Count > 0, $"both workers commit shards: w1 {byW1.Count}, w2 {byW2.Count}\n{w1.Transcript}\n{w2.Transcript}");
        Assert.Equal(Enumerable.Range(0, 13), byW1.Concat(byW2).Order());

        var info = await CliProcess.RunAsync(["run", "info", "fm/two-workers", "--root", _root.Path, "--json"]);
        Assert.Equal(0, info.ExitCode);
        using var run = JsonDocument.Parse(info.Stdout);
        Assert.Equal("completed", run.RootElement.GetProperty("status").GetString());
        var listed = Assert.Single(run.RootElement.GetProperty("metrics").EnumerateArray());
        Assert.Equal(metrics.Url.Value, listed.GetProperty("url").GetString());
        Assert.Equal(200, listed.GetProperty("row_count").GetInt64());
        Assert.Equal(table, listed.GetProperty("foreign_table_url").GetString());

        // SIGTERM drains each worker (exit 0), then stops the silo.
        foreach (var worker in new[] { w1, w2 })
        {
            Assert.Equal(0, await worker.StopAsync());
            Assert.Contains("stopped:", worker.Stdout, StringComparison.Ordinal);
        }
        Assert.Equal(0, await silo.StopAsync());
    }

    [Fact(Timeout = 120_000)]
    public async Task WorkerKilledMidJob_JobCompletesThroughTheOtherWorker()
    {
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 20, _root.Path);
        var (silo, w1, w2) = await StartClusterAsync();
        await using var _ = silo;
        await using var __ = w1;
        await using var ___ = w2;

        await using var collect = CliProcess.Start([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/kill", delayMs: 150), "--workers", "0", "--lease-seconds", "3"]);
        var announced = await collect.WaitForLineAsync("Job ");
        var jobId = announced.Split(' ')[1].TrimEnd(':');
        await w1.WaitForLineAsync($"job {jobId} shard");
        await w1.KillAsync();
        var w2Before = ClusterCliSupport.AcceptedShards(w2.Stdout, jobId).Count;

        Assert.True(await collect.WaitForExitAsync(TimeSpan.FromSeconds(90)) == 0, $"{collect.Transcript}\n{w2.Transcript}");
        var line = await collect.WaitForLineAsync("Metrics table ");
        var url = line["Metrics table ".Length..line.IndexOf(": ", StringComparison.Ordinal)];
        using var metrics = await Table.OpenAsync(url);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), metrics.Rows.Select(r => (long)r["example_id"]!));

        await Task.Delay(500);
        Assert.True(ClusterCliSupport.AcceptedShards(w2.Stdout, jobId).Count > w2Before, $"the surviving worker computed the rest\n{w2.Transcript}");
        var show = await CliProcess.RunAsync(["job", "show", jobId, "--root", _root.Path, "--json"]);
        Assert.Equal(0, show.ExitCode);
        using var job = JsonDocument.Parse(show.Stdout);
        Assert.Equal("completed", job.RootElement.GetProperty("status").GetString());
        Assert.Equal(13, job.RootElement.GetProperty("shards_committed").GetInt32());
        Assert.Equal(url, job.RootElement.GetProperty("metrics_table_url").GetString());
        Assert.Equal(0, await w2.StopAsync());
    }

    [Fact(Timeout = 150_000)]
    public async Task WorkerKilledMidImport_SameTableAsOneProcess_NoCommittedChunkConvertedAgain()
    {
        var csv = Path.Combine(_root.Path, "big.csv");
        using (var writer = new StreamWriter(csv))
        {
            writer.Write("id,name,score,note\n");
            for (var i = 0; i < 300_000; i++)
            {
                writer.Write(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{i},n{i % 17},{i * 0.5},\"a, {i}\"\n"));
            }
        }
        var (silo, w1, w2) = await StartClusterAsync();
        await using var _ = silo;
        await using var __ = w1;
        await using var ___ = w2;

        await using var import = CliProcess.Start(["import", "csv", csv, "--root", _root.Path, "--dataset", "d", "--table", "job", "--cluster", "--workers", "0",
            "--chunk-mb", "0.1", "--lease-seconds", "3", "--job-id", "killjob", "--json"]);
        await w1.WaitForLineAsync("job killjob chunk ");
        await w1.KillAsync();
        var committedByW1 = ClusterCliSupport.AcceptedChunks(w1.Stdout, "killjob");

        Assert.True(await import.WaitForExitAsync(TimeSpan.FromSeconds(100)) == 0, $"{import.Transcript}\n{w2.Transcript}");
        using var made = JsonDocument.Parse(import.Stdout);
        var url = made.RootElement.GetProperty("url").GetString()!;
        var single = await CliProcess.RunAsync(["import", "csv", csv, "--root", _root.Path, "--dataset", "d", "--table", "single", "--json"]);
        Assert.True(single.ExitCode == 0, single.Stderr);
        using var singleMade = JsonDocument.Parse(single.Stdout);
        using var table = await Table.OpenAsync(url);
        using var expected = await Table.OpenAsync(singleMade.RootElement.GetProperty("url").GetString()!);
        Assert.Equal(300_000, table.RowCount);
        Assert.Equal(expected.ContentHash(), table.ContentHash());

        var show = await CliProcess.RunAsync(["import", "show", "killjob", "--root", _root.Path, "--json"]);
        Assert.True(show.ExitCode == 0, show.Stderr);
        using var job = JsonDocument.Parse(show.Stdout);
        var chunks = job.RootElement.GetProperty("chunks").GetInt32();
        Assert.Equal(chunks, job.RootElement.GetProperty("chunks_committed").GetInt32());
        var committedByW2 = ClusterCliSupport.AcceptedChunks(w2.Stdout, "killjob");
        Assert.NotEmpty(committedByW1);
        Assert.True(committedByW2.Count > chunks / 2, $"the surviving worker converted the rest ({committedByW2.Count} of {chunks})");
        Assert.Equal(committedByW2.Count, committedByW2.Distinct().Count());
        Assert.Empty(committedByW1.Intersect(committedByW2));
        Assert.Equal(0, await w2.StopAsync());
    }

    [Fact(Timeout = 120_000)]
    public async Task WorkerSigterm_MidShard_FinishesAndCommitsItTakesNoMoreAndExitsZero()
    {
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 10, _root.Path);
        await using var silo = CliProcess.Start(["silo", "--root", _root.Path]);
        await silo.WaitForLineAsync("Silo serving");
        await using var worker = CliProcess.Start(["worker", "--root", _root.Path, "--plugins", ClusterCliSupport.PluginFolder(_root), "--threads", "1", "--id", "drained", "--poll-interval", "0.1"]);
        await worker.WaitForLineAsync("ready:");

        // Shards of one 800 ms batch each; the job is left running when the worker stops.
        using var submitted = JsonDocument.Parse((await CliProcess.RunAsync([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/drain", delayMs: 800), "--detach", "--json"])).Stdout);
        var jobId = submitted.RootElement.GetProperty("id").GetString()!;
        await worker.WaitForLineAsync($"job {jobId} shard");
        Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(30)));

        await Task.Delay(300);
        var log = worker.Stdout;
        var drained = log.IndexOf("draining:", StringComparison.Ordinal);
        Assert.True(drained > 0, worker.Transcript);
        var committed = ClusterCliSupport.AcceptedShards(log, jobId);
        // The shards in flight at the stop (the worker computes WorkerOptions.DefaultConcurrentShards at once) finish and commit.
        Assert.InRange(ClusterCliSupport.AcceptedShards(log[drained..], jobId).Count, 0, Tlc.Workers.WorkerOptions.DefaultConcurrentShards);
        Assert.DoesNotContain("lease lost", log, StringComparison.Ordinal);
        Assert.Contains($"stopped: {committed.Count} shard(s) committed, 0 failed", log, StringComparison.Ordinal);

        // Nothing was dropped: no lease is left to expire, and every shard the worker finished is committed.
        using var show = JsonDocument.Parse((await CliProcess.RunAsync(["job", "show", jobId, "--root", _root.Path, "--json"])).Stdout);
        Assert.Equal(0, show.RootElement.GetProperty("shards_leased").GetInt32());
        Assert.Equal(committed.Count, show.RootElement.GetProperty("shards_committed").GetInt32());
        Assert.Equal("running", show.RootElement.GetProperty("status").GetString());
        Assert.Equal(0, await silo.StopAsync());
    }

    /// <summary>The built-in CNN with the same weights, run here over the table: its predicted class per row.</summary>
    private static async Task<int[]> PredictInProcessAsync(string tableUrl)
    {
        using var table = await Table.OpenAsync(tableUrl);
        var collectors = CollectorRegistry.Default.Create([new CollectorSpec("classification", ClusterCliSupport.ClassesJson)]);
        using var predictor = ModelRegistry.Default.CreatePredictor(new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, Url.FromLocalPath(ClusterCliSupport.Weights).Value),
            ModelContext.For(collectors));
        var predicted = new List<int>();
        await foreach (var batch in MetricsRunner.RunAsync(table, 0, table.RowCount, predictor, collectors, new MetricsRunOptions { BatchSize = 16 }, TestContext.Current.CancellationToken))
        {
            var column = (Int32Array)batch.Column("predicted");
            for (var i = 0; i < column.Length; i++)
            {
                predicted.Add(column.GetValue(i)!.Value);
            }
        }
        return [.. predicted];
    }
}
