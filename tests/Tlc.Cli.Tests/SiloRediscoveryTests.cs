using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tlc.Testing;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Tests;

/// <summary>
/// The embedded default as a new user runs it — <c>tlc silo</c>, two <c>tlc worker</c> processes and a client, every
/// port picked freely — through <c>kill -9</c> of a worker and of the silo mid-job: the restarted silo listens on new
/// ports, and the workers and the client that never restarted find it through the root's silo record and finish the
/// job; a client whose silo never comes back gives up after <c>cluster.reconnect_timeout_seconds</c>.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed partial class SiloRediscoveryTests : IDisposable
{
    private readonly TempRoot _root = new("rediscovery");
    private string? _plugins;

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task SiloAndWorkerKilledMidCollect_BothRestartedOnNewPorts_SameMetricsAsFaultFreeRun()
    {
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 30, _root.Path);
        var silo = StartSilo();
        await using var _ = silo;
        var firstPort = GatewayPort(await silo.WaitForLineAsync("Silo serving"));
        await using var w1 = StartWorker("w1");
        await using var w2 = StartWorker("w2");
        await Task.WhenAll(w1.WaitForLineAsync("ready:"), w2.WaitForLineAsync("ready:"));

        // 19 shards of one 300 ms batch each; a dead worker's lease comes back after 5 s.
        await using var collect = CliProcess.Start([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/restart", delayMs: 300), "--workers", "0", "--lease-seconds", "5"]);
        var jobId = (await collect.WaitForLineAsync("Job ")).Split(' ')[1].TrimEnd(':');
        await w1.WaitForLineAsync($"job {jobId} shard");
        await w1.KillAsync();
        await silo.KillAsync();

        // The surviving worker says once that no silo serves the root; a new silo and a new worker start with default settings.
        await w2.WaitForLineAsync("no silo serves");
        var restarted = StartSilo();
        await using var __ = restarted;
        var secondPort = GatewayPort(await restarted.WaitForLineAsync("Silo serving"));
        Assert.NotEqual(firstPort, secondPort);
        await using var w3 = StartWorker("w3");

        Assert.True(await collect.WaitForExitAsync(TimeSpan.FromSeconds(75)) == 0, $"{collect.Transcript}\n{w2.Transcript}\n{w3.Transcript}\n{restarted.Transcript}");
        var line = await collect.WaitForLineAsync("Metrics table ");
        using var metrics = await Table.OpenAsync(line["Metrics table ".Length..line.IndexOf(": ", StringComparison.Ordinal)]);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), metrics.Rows.Select(r => (long)r["example_id"]!));
        Assert.Equal(1, Count(collect.Stderr, "no silo serves"));
        Assert.Equal(1, Count(collect.Stderr, "answers again after"));
        var w2Log = await w2.WaitForLineAsync("answers again after");
        Assert.Contains($"Worker w2: the silo of {_root.Url.Value} answers again after", w2Log, StringComparison.Ordinal);
        Assert.Equal(1, Count(w2.Stdout, "no silo serves"));

        // The same collection without faults, on the restarted cluster: the same metrics, row for row.
        var faultFree = await CliProcess.RunAsync([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/fault-free"), "--workers", "0", "--json"]);
        Assert.True(faultFree.ExitCode == 0, faultFree.Stderr);
        using var json = JsonDocument.Parse(faultFree.Stdout);
        using var expected = await Table.OpenAsync(json.RootElement.GetProperty("metrics_table_url").GetString()!);
        Assert.Equal(expected.ContentHash(), metrics.ContentHash());

        using var show = JsonDocument.Parse((await CliProcess.RunAsync(["job", "show", jobId, "--root", _root.Path, "--json"])).Stdout);
        Assert.Equal("completed", show.RootElement.GetProperty("status").GetString());
        Assert.Equal(19, show.RootElement.GetProperty("shards_committed").GetInt32());
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloAndWorkerKilledMidImport_BothRestartedOnNewPorts_SameTableAsOneProcessImport()
    {
        var csv = Path.Combine(_root.Path, "big.csv");
        using (var writer = new StreamWriter(csv))
        {
            writer.Write("id,name,score,note\n");
            for (var i = 0; i < 200_000; i++)
            {
                writer.Write(string.Create(CultureInfo.InvariantCulture, $"{i},n{i % 17},{i * 0.5},\"a, {i}\"\n"));
            }
        }
        var silo = StartSilo();
        await using var _ = silo;
        var firstPort = GatewayPort(await silo.WaitForLineAsync("Silo serving"));
        await using var w1 = StartWorker("w1");
        await using var w2 = StartWorker("w2");
        await Task.WhenAll(w1.WaitForLineAsync("ready:"), w2.WaitForLineAsync("ready:"));

        await using var import = CliProcess.Start(["import", "csv", csv, "--root", _root.Path, "--dataset", "d", "--table", "job", "--cluster", "--workers", "0",
            "--chunk-mb", "0.1", "--lease-seconds", "3", "--job-id", "restartjob", "--json"]);
        await w1.WaitForLineAsync("job restartjob chunk ");
        await w1.KillAsync();
        await silo.KillAsync();

        await w2.WaitForLineAsync("no silo serves");
        var restarted = StartSilo();
        await using var __ = restarted;
        Assert.NotEqual(firstPort, GatewayPort(await restarted.WaitForLineAsync("Silo serving")));
        await using var w3 = StartWorker("w3");

        Assert.True(await import.WaitForExitAsync(TimeSpan.FromSeconds(75)) == 0, $"{import.Transcript}\n{w2.Transcript}\n{w3.Transcript}\n{restarted.Transcript}");
        Assert.Equal(1, Count(import.Stderr, "no silo serves"));
        Assert.Equal(1, Count(import.Stderr, "answers again after"));
        using var made = JsonDocument.Parse(import.Stdout);
        using var table = await Table.OpenAsync(made.RootElement.GetProperty("url").GetString()!);
        var single = await CliProcess.RunAsync(["import", "csv", csv, "--root", _root.Path, "--dataset", "d", "--table", "single", "--json"]);
        Assert.True(single.ExitCode == 0, single.Stderr);
        using var singleMade = JsonDocument.Parse(single.Stdout);
        using var expected = await Table.OpenAsync(singleMade.RootElement.GetProperty("url").GetString()!);
        Assert.Equal(200_000, table.RowCount);
        Assert.Equal(expected.ContentHash(), table.ContentHash());

        using var show = JsonDocument.Parse((await CliProcess.RunAsync(["import", "show", "restartjob", "--root", _root.Path, "--json"])).Stdout);
        Assert.Equal(show.RootElement.GetProperty("chunks").GetInt32(), show.RootElement.GetProperty("chunks_committed").GetInt32());
        Assert.Equal(1, Count(w2.Stdout, "no silo serves"));
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloNeverComesBack_CollectGivesUpAfterReconnectTimeout_WorkerLogsOutageOnceAndWaits()
    {
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 10, _root.Path);
        var silo = StartSilo();
        await using var _ = silo;
        await silo.WaitForLineAsync("Silo serving");
        await using var worker = StartWorker("patient");
        await worker.WaitForLineAsync("ready:");

        // 7 shards of one 800 ms batch each; this client alone gives up after 3 s without a silo.
        await using var collect = CliProcess.Start([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/abandoned", delayMs: 800), "--workers", "0"],
            new Dictionary<string, string?> { ["TLC_CLUSTER__RECONNECT_TIMEOUT_SECONDS"] = "3" });
        var jobId = (await collect.WaitForLineAsync("Job ")).Split(' ')[1].TrimEnd(':');
        await worker.WaitForLineAsync($"job {jobId} shard");
        await silo.KillAsync();
        var killed = Stopwatch.StartNew();

        Assert.Equal(1, await collect.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var gaveUpAfter = killed.Elapsed;
        // (The outage began as the silo's connection closed, a moment before the kill was seen here.)
        Assert.InRange(gaveUpAfter, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(20));
        var stderr = collect.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, Count(collect.Stderr, "no silo serves"));
        Assert.Matches(
            $@"^tlc: No silo serves {Regex.Escape(_root.Url.Value)} \(since \d\d:\d\d:\d\d\): gave up waiting after 3 s \(cluster\.reconnect_timeout_seconds\); the job is kept and goes on once a silo serves the root again \('tlc silo --root {Regex.Escape(_root.Url.Value)}'\)\.$",
            stderr[^1]);

        // The worker waits on, having said so once; a silo started later serves the job, which the worker then finishes.
        await worker.WaitForLineAsync("no silo serves");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(worker.HasExited, worker.Transcript);
        Assert.Equal(1, Count(worker.Stdout, "no silo serves"));
        var restarted = StartSilo();
        await using var __ = restarted;
        await restarted.WaitForLineAsync("Silo serving");
        await worker.WaitForLineAsync("answers again after");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string status;
        do
        {
            await Task.Delay(500);
            var show = await CliProcess.RunAsync(["job", "show", jobId, "--root", _root.Path, "--json"]);
            Assert.True(show.ExitCode == 0, show.Stderr);
            using var json = JsonDocument.Parse(show.Stdout);
            status = json.RootElement.GetProperty("status").GetString()!;
        }
        while (status != "completed" && DateTime.UtcNow < deadline);
        Assert.True(status == "completed", worker.Transcript);
        Assert.Equal(1, Count(worker.Stdout, "no silo serves"));
        Assert.Equal(1, Count(worker.Stdout, "answers again after"));
    }

    private CliProcess.Running StartSilo() => CliProcess.Start(["silo", "--root", _root.Path]);

    private CliProcess.Running StartWorker(string id)
    {
        // The plugin folder is made once: copying over a plugin a running worker has loaded would change it under that worker.
        _plugins ??= ClusterCliSupport.PluginFolder(_root);
        return CliProcess.Start(["worker", "--root", _root.Path, "--plugins", _plugins, "--threads", "1", "--decode-threads", "1", "--id", id, "--poll-interval", "0.1"]);
    }

    /// <summary>The gateway port a <c>Silo serving …</c> line names.</summary>
    private static int GatewayPort(string serving) => int.Parse(GatewayPortPattern().Match(serving).Groups[1].Value, CultureInfo.InvariantCulture);

    private static int Count(string text, string what) => text.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));

    [GeneratedRegex(@"gateway port (\d+)")]
    private static partial Regex GatewayPortPattern();
}
