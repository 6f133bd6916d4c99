using System.Text.Json;
using Tlc.Tables.Urls;
using Tlc.Testing;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Tests;

/// <summary>
/// The cluster with nothing on one machine's disk: cluster.mode azure (membership in Azure Table storage, grain state in
/// blobs, on Azurite) and a data root on Azure Blob storage — images, the input table and the metrics table are blobs.
/// A silo process, a worker process and <c>tlc collect</c> share only the configuration.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class AzureClusterTests : IAsyncLifetime
{
    private readonly TempRoot _local = new("azure-cli");
    private readonly string _container = Azurite.NewContainerName("cli-root");
    private readonly string _state = Azurite.NewContainerName("cli-state");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await Azurite.DeleteContainerAsync(_container);
        await Azurite.DeleteContainerAsync(_state);
        _local.Dispose();
    }

    [Fact(Timeout = 120_000)]
    public async Task AzureCluster_AzureBlobRoot_SiloWorkerAndCollect_MetricsReadBackFromBlobStorage()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var environment = new Dictionary<string, string?>
        {
            ["TLC_AZURE__CONNECTION_STRING"] = Azurite.ConnectionString,
            ["TLC_CLUSTER__MODE"] = "azure",
            ["TLC_CLUSTER__CONNECTION_STRING"] = Azurite.ConnectionString,
            ["TLC_CLUSTER__CLUSTER_ID"] = $"cli-{id}",
            ["TLC_CLUSTER__SERVICE_ID"] = $"cli-{id}",
            ["TLC_CLUSTER__STATE_CONTAINER"] = _state,
            ["TLC_CLUSTER__SILO_PORT"] = $"{ClusterCliSupport.FreePort()}",
            ["TLC_CLUSTER__GATEWAY_PORT"] = $"{ClusterCliSupport.FreePort()}",
            // The worker of a cluster spanning machines reads file URLs only in allowed folders: the model's weights are a fixture.
            ["TLC_SECURITY__FILE_ROOTS"] = Path.GetDirectoryName(ClusterCliSupport.Weights),
        };
        var root = $"azure://{_container}/root";

        // The images are blobs too, so workers read every row through the Azure Blob adapter.
        var blobs = Azurite.NewRegistry();
        var subset = ClusterCliSupport.FashionMnistSubset(Path.Combine(_local.Path, "fashion-mnist"), 10);
        foreach (var png in Directory.GetFiles(subset, "*.png", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(subset, png).Replace('\\', '/');
            await blobs.WriteAllBytesAsync(new Url($"azure://{_container}/images/{relative}"), await File.ReadAllBytesAsync(png), WriteMode.Overwrite, TestContext.Current.CancellationToken);
        }
        var table = await ClusterCliSupport.ImportSubsetAsync(_local, 10, root, environment, source: $"azure://{_container}/images");
        Assert.StartsWith($"azure://{_container}/root/projects/fm/", table, StringComparison.Ordinal);

        await using var silo = CliProcess.Start(["silo", "--root", root], environment);
        await silo.WaitForLineAsync($"Silo joined cluster 'cli-{id}'", TimeSpan.FromSeconds(90));
        await using var worker = CliProcess.Start(["worker", "--root", root, "--threads", "1", "--decode-threads", "1", "--id", "azure-w1", "--poll-interval", "0.2"], environment);
        var ready = await worker.WaitForLineAsync("ready:", TimeSpan.FromSeconds(60));
        Assert.Contains($"cluster 'cli-{id}' (azure)", ready, StringComparison.Ordinal);

        var result = await CliProcess.RunAsync([.. ClusterCliSupport.CollectArguments(root, table, "fm/azure", model: "factory:fashion-mnist-cnn"), "--workers", "0", "--json"], environment);
        Assert.True(result.ExitCode == 0, $"{result.Stderr}\n{silo.Transcript}\n{worker.Transcript}");
        using var json = JsonDocument.Parse(result.Stdout);
        var jobId = json.RootElement.GetProperty("job_id").GetString()!;
        var url = json.RootElement.GetProperty("metrics_table_url").GetString()!;
        Assert.StartsWith($"azure://{_container}/root/projects/fm/runs/azure/metrics/", url, StringComparison.Ordinal);

        // Read back from blob storage by a reader that shares nothing with the cluster.
        using var metrics = await Table.OpenAsync(url, Azurite.NewRegistry(), TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), metrics.Rows.Select(r => (long)r["example_id"]!));
        Assert.InRange(metrics.Rows.Average(r => (double)(float)r["accuracy"]!), 0.6, 1.0);
        await Task.Delay(500);
        Assert.Equal(Enumerable.Range(0, 7), ClusterCliSupport.AcceptedShards(worker.Stdout, jobId).Order());

        var info = await CliProcess.RunAsync(["run", "info", "fm/azure", "--root", root, "--json"], environment);
        Assert.True(info.ExitCode == 0, info.Stderr);
        using var run = JsonDocument.Parse(info.Stdout);
        Assert.Equal(100, Assert.Single(run.RootElement.GetProperty("metrics").EnumerateArray()).GetProperty("row_count").GetInt64());
        var runs = await CliProcess.RunAsync(["runs", "--root", root, "--json"], environment);
        Assert.True(runs.ExitCode == 0, runs.Stderr);
        using var listed = JsonDocument.Parse(runs.Stdout);
        Assert.Equal("completed", Assert.Single(listed.RootElement.EnumerateArray()).GetProperty("status").GetString());

        Assert.Equal(0, await worker.StopAsync());
        Assert.Equal(0, await silo.StopAsync(TimeSpan.FromSeconds(60)));
    }
}
