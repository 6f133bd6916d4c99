using System.Text.Json;
using Tlc.Cluster;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>
/// <c>tlc run info</c> and <c>tlc runs</c> show the outputs a run recorded through the SDK. The CLI connects to the silo
/// this test process hosts.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class RunOutputVerbTests : IDisposable
{
    private readonly TempRoot _root = new("run-outputs");

    public void Dispose() => _root.Dispose();

    private Task<CliProcess.Result> Tlc(params string[] args) => CliProcess.RunAsync([.. args, "--root", _root.Path]);

    [Fact(Timeout = 120_000)]
    public async Task RunInfo_RecordedOutputs_ListedInTextAndJson_RunsCountsThem()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = _root.File("models/best.pt");
        await File.WriteAllBytesAsync(model, new byte[1234], ct);
        await using var connection = await ClusterConnection.ConnectAsync(_root.Settings, cancellationToken: ct);
        await using (var run = await Runs.InitAsync(connection.Context, "fm", "trained", cancellationToken: ct))
        {
            await run.AddOutputAsync(model, RunOutputKinds.Model, description: "best validation loss", cancellationToken: ct);
            await run.AddOutputAsync("s3://bucket/exports/val-coco.json", RunOutputKinds.Export, name: "val-coco", size: 98_765, cancellationToken: ct);
            await run.CompleteAsync(ct);
        }

        var json = await Tlc("run", "info", "fm/trained", "--json");
        var text = await Tlc("run", "info", "fm/trained");
        var runs = await Tlc("runs", "--json");

        Assert.True(json.ExitCode == 0, json.Stderr);
        using var info = JsonDocument.Parse(json.Stdout);
        var outputs = info.RootElement.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(2, outputs.Count);
        Assert.Equal(["name", "kind", "url", "description", "size", "created"], outputs[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("best.pt", outputs[0].GetProperty("name").GetString());
        Assert.Equal("model", outputs[0].GetProperty("kind").GetString());
        Assert.Equal(Url.FromLocalPath(model).Value, outputs[0].GetProperty("url").GetString());
        Assert.Equal("best validation loss", outputs[0].GetProperty("description").GetString());
        Assert.Equal(1234, outputs[0].GetProperty("size").GetInt64());
        Assert.True(DateTimeOffset.UtcNow - outputs[0].GetProperty("created").GetDateTimeOffset() < TimeSpan.FromMinutes(5));
        Assert.Equal("val-coco", outputs[1].GetProperty("name").GetString());
        Assert.Equal("export", outputs[1].GetProperty("kind").GetString());
        Assert.Equal("s3://bucket/exports/val-coco.json", outputs[1].GetProperty("url").GetString());
        Assert.Equal(JsonValueKind.Null, outputs[1].GetProperty("description").ValueKind);
        Assert.Equal(98_765, outputs[1].GetProperty("size").GetInt64());

        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains($"output: best.pt (model, 1,234 bytes, ", text.Stdout, StringComparison.Ordinal);
        Assert.Contains($") {Url.FromLocalPath(model).Value} — best validation loss", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("output: val-coco (export, 98,765 bytes, ", text.Stdout, StringComparison.Ordinal);

        Assert.True(runs.ExitCode == 0, runs.Stderr);
        using var listed = JsonDocument.Parse(runs.Stdout);
        Assert.Equal(2, Assert.Single(listed.RootElement.EnumerateArray()).GetProperty("outputs").GetInt32());
    }
}
