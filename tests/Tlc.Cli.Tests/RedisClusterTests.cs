using System.Globalization;
using System.Text.Json;
using Tlc.Testing;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Tests;

/// <summary>
/// cluster.mode redis with real processes: three <c>tlc silo</c> processes find each other through a real redis-server
/// (membership, grain state and reminders there), a <c>tlc worker</c> process and the clients find the gateways there too.
/// An import job and a metrics job complete, the latter although one silo is killed (SIGKILL) half-way.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class RedisClusterTests : IAsyncLifetime
{
    private readonly TempRoot _root = new("redis-cli");

    /// <summary>The settings of a fresh redis-mode cluster on this test's Redis (its own cluster and service id).</summary>
    private Dictionary<string, string?> RedisEnvironment()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        return new Dictionary<string, string?>
        {
            ["TLC_CLUSTER__MODE"] = "redis",
            ["TLC_CLUSTER__REDIS_CONNECTION_STRING"] = _redis.ConnectionString,
            ["TLC_CLUSTER__CLUSTER_ID"] = $"cli-{id}",
            ["TLC_CLUSTER__SERVICE_ID"] = $"cli-{id}",
            // Workers of a shared cluster read file URLs only inside the root and these folders: the model weights' folder.
            ["TLC_SECURITY__FILE_ROOTS"] = Path.GetDirectoryName(Fixtures.FashionMnistCnnWeights),
        };
    }
    private RedisServer _redis = null!;

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        _root.Dispose();
    }

    [Fact(Timeout = 300_000)]
    public async Task RedisCluster_ThreeSilosWorkerImportAndCollect_SiloKilledMidJob_EveryExampleIdOnce()
    {
        var environment = RedisEnvironment();
        var cluster = environment["TLC_CLUSTER__CLUSTER_ID"];
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 20, _root.Path, environment);

        var silos = new List<CliProcess.Running>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                // Each silo of this machine its own ports (a machine of a real cluster keeps the defaults, 11111 and 30000).
                var silo = CliProcess.Start(["silo", "--root", _root.Path], new Dictionary<string, string?>(environment)
                {
                    ["TLC_CLUSTER__SILO_PORT"] = $"{ClusterCliSupport.FreePort()}",
                    ["TLC_CLUSTER__GATEWAY_PORT"] = $"{ClusterCliSupport.FreePort()}",
                });
                silos.Add(silo);
                await silo.WaitForLineAsync($"Silo joined cluster '{cluster}'", TimeSpan.FromSeconds(90));
            }
            var plugins = ClusterCliSupport.PluginFolder(_root);
            await using var worker = CliProcess.Start(["worker", "--root", _root.Path, "--plugins", plugins, "--threads", "1", "--decode-threads", "1",
                "--id", "redis-w1", "--poll-interval", "0.2"], environment);
            var ready = await worker.WaitForLineAsync("ready:", TimeSpan.FromSeconds(60));
            Assert.Contains($"cluster '{cluster}' (redis)", ready, StringComparison.Ordinal);

            // An import job converted by the worker process.
            var csv = Path.Combine(_root.Path, "small.csv");
            await File.WriteAllTextAsync(csv, "id,name\n" + string.Concat(Enumerable.Range(0, 2000).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},n{i % 7}\n"))),
                TestContext.Current.CancellationToken);
            var import = await CliProcess.RunAsync(["import", "csv", csv, "--root", _root.Path, "--project", "fm", "--dataset", "d", "--table", "t", "--cluster",
                "--workers", "0", "--chunk-mb", "0.01", "--json"], environment);
            Assert.True(import.ExitCode == 0, $"{import.Stderr}\n{worker.Transcript}");
            using (var made = JsonDocument.Parse(import.Stdout))
            {
                using var imported = await Table.OpenAsync(made.RootElement.GetProperty("url").GetString()!);
                Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), imported.Rows.Select(r => Convert.ToInt64(r["id"], CultureInfo.InvariantCulture)));
            }

            // A metrics job; one silo is killed once the worker is under way.
            await using var collect = CliProcess.Start([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/redis", delayMs: 400), "--workers", "0",
                "--lease-seconds", "3"], environment);
            var announced = await collect.WaitForLineAsync("Job ", TimeSpan.FromSeconds(60));
            var jobId = announced.Split(' ')[1].TrimEnd(':');
            await worker.WaitForLineAsync($"job {jobId} shard", TimeSpan.FromSeconds(60));
            await silos[0].KillAsync();
            var acceptedAtKill = ClusterCliSupport.AcceptedShards(worker.Stdout, jobId).Count;

            Assert.True(await collect.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, $"{collect.Transcript}\n{worker.Transcript}");
            var line = await collect.WaitForLineAsync("Metrics table ");
            var url = line["Metrics table ".Length..line.IndexOf(": ", StringComparison.Ordinal)];
            using var metrics = await Table.OpenAsync(url);
            Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), metrics.Rows.Select(r => (long)r["example_id"]!));

            var show = await CliProcess.RunAsync(["job", "show", jobId, "--root", _root.Path, "--json"], environment);
            Assert.True(show.ExitCode == 0, show.Stderr);
            using var job = JsonDocument.Parse(show.Stdout);
            Assert.Equal("completed", job.RootElement.GetProperty("status").GetString());
            Assert.Equal(13, job.RootElement.GetProperty("shards_committed").GetInt32());
            await Task.Delay(500); // the console logger writes asynchronously
            var accepted = ClusterCliSupport.AcceptedShards(worker.Stdout, jobId);
            Assert.True(acceptedAtKill < 13 && accepted.Count > acceptedAtKill, $"the kill landed mid-job: {acceptedAtKill} shards before it, {accepted.Count} in all");
            Assert.Equal(Enumerable.Range(0, 13), accepted.Order());
            Assert.Equal(0, await worker.StopAsync());
            foreach (var silo in silos.Skip(1))
            {
                Assert.Equal(0, await silo.StopAsync());
            }
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task OneSilo_KilledMidJobAndStartedAgain_JobStateFromRedis_CompletesEveryExampleIdOnce()
    {
        var environment = RedisEnvironment();
        var cluster = environment["TLC_CLUSTER__CLUSTER_ID"];
        environment["TLC_CLUSTER__SILO_PORT"] = $"{ClusterCliSupport.FreePort()}";
        environment["TLC_CLUSTER__GATEWAY_PORT"] = $"{ClusterCliSupport.FreePort()}";
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 20, _root.Path, environment);
        var silo = CliProcess.Start(["silo", "--root", _root.Path], environment);
        try
        {
            await silo.WaitForLineAsync($"Silo joined cluster '{cluster}'", TimeSpan.FromSeconds(90));
            await using var worker = CliProcess.Start(["worker", "--root", _root.Path, "--plugins", ClusterCliSupport.PluginFolder(_root), "--threads", "1",
                "--decode-threads", "1", "--id", "redis-w1", "--poll-interval", "0.2"], environment);
            await worker.WaitForLineAsync("ready:", TimeSpan.FromSeconds(60));
            await using var collect = CliProcess.Start([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/restart", delayMs: 400), "--workers", "0",
                "--lease-seconds", "3"], environment);
            var announced = await collect.WaitForLineAsync("Job ", TimeSpan.FromSeconds(60));
            var jobId = announced.Split(' ')[1].TrimEnd(':');
            await worker.WaitForLineAsync(l => ClusterCliSupport.AcceptedShards(l, jobId).Count > 0, "a shard accepted", TimeSpan.FromSeconds(60));

            // The only silo dies: every grain's state is in Redis alone. A new silo process on the same ports takes over.
            await silo.KillAsync();
            var acceptedAtKill = ClusterCliSupport.AcceptedShards(worker.Stdout, jobId).Count;
            await silo.DisposeAsync();
            silo = CliProcess.Start(["silo", "--root", _root.Path], environment);
            await silo.WaitForLineAsync($"Silo joined cluster '{cluster}'", TimeSpan.FromSeconds(90));

            Assert.True(await collect.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, $"{collect.Transcript}\n{worker.Transcript}\n{silo.Transcript}");
            var line = await collect.WaitForLineAsync("Metrics table ");
            using var metrics = await Table.OpenAsync(line["Metrics table ".Length..line.IndexOf(": ", StringComparison.Ordinal)]);
            Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), metrics.Rows.Select(r => (long)r["example_id"]!));
            await Task.Delay(500); // the console logger writes asynchronously
            var accepted = ClusterCliSupport.AcceptedShards(worker.Stdout, jobId);
            Assert.True(acceptedAtKill is > 0 and < 13 && accepted.Count > acceptedAtKill, $"the kill landed mid-job: {acceptedAtKill} shards before it, {accepted.Count} in all");
            // Shards committed before the kill were kept, not computed again.
            Assert.Equal(Enumerable.Range(0, 13), accepted.Order());
            Assert.Equal(0, await worker.StopAsync());
            Assert.Equal(0, await silo.StopAsync());
        }
        finally
        {
            await silo.DisposeAsync();
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Silo_RedisUnreachable_FailsAtStartNamingTheEndpointWithoutThePassword()
    {
        var port = ClusterCliSupport.FreePort();
        var result = await CliProcess.RunAsync(["silo", "--root", _root.Path], new Dictionary<string, string?>
        {
            ["TLC_CLUSTER__MODE"] = "redis",
            ["TLC_CLUSTER__REDIS_CONNECTION_STRING"] = $"127.0.0.1:{port},password=hunter2",
        });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"unreachable at 127.0.0.1:{port} (cluster.redis_connection_string)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Worker_RedisModeWithoutConnectionString_FailsNamingTheSetting()
    {
        var result = await CliProcess.RunAsync(["worker", "--root", _root.Path], new Dictionary<string, string?> { ["TLC_CLUSTER__MODE"] = "redis" });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("cluster.mode redis needs cluster.redis_connection_string", result.Stderr, StringComparison.Ordinal);
    }
}
