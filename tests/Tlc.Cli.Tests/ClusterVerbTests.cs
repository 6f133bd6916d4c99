using System.Text.Json;
using Tlc.Testing;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Tests;

/// <summary>
/// <c>tlc collect</c>, <c>runs</c>, <c>run info</c>, <c>jobs</c>, <c>job show|cancel|retry</c> on the embedded default: each
/// command starts the root's silo in its own process when none runs, and the state it leaves is durable on disk.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class ClusterVerbTests : IDisposable
{
    private readonly TempRoot _root = new("cluster-verbs");

    public void Dispose() => _root.Dispose();

    private Task<CliProcess.Result> Tlc(params string[] args) => CliProcess.RunAsync([.. args, "--root", _root.Path]);

    private static JsonDocument Json(CliProcess.Result result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return JsonDocument.Parse(result.Stdout);
    }

    private static void FailsWithOneLine(CliProcess.Result result, int exitCode, string message)
    {
        Assert.Equal(exitCode, result.ExitCode);
        Assert.StartsWith("tlc: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_EmbeddedDefault_OneLocalWorker_ThenRunsAndRunInfoJson()
    {
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 10, _root.Path);

        using var collect = Json(await CliProcess.RunAsync([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/eval", model: "factory:fashion-mnist-cnn"), "--json"]));
        Assert.Equal(1, collect.RootElement.GetProperty("workers_in_process").GetInt32());
        Assert.Equal(["example_id", "loss", "predicted", "accuracy", "confidence", "embeddings_9", "epoch"],
            collect.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var metricsUrl = collect.RootElement.GetProperty("metrics_table_url").GetString()!;
        using var metrics = await Table.OpenAsync(metricsUrl);
        Assert.Equal(100, metrics.RowCount);
        var accuracy = metrics.Rows.Average(r => (double)(float)r["accuracy"]!);

        using var runs = Json(await Tlc("runs", "--json"));
        var listed = Assert.Single(runs.RootElement.EnumerateArray());
        Assert.Equal(["project", "name", "url", "status", "status_source", "description", "created", "updated", "metrics_tables", "inputs", "outputs", "aggregates"],
            listed.EnumerateObject().Select(p => p.Name));
        Assert.Equal("fm", listed.GetProperty("project").GetString());
        Assert.Equal("eval", listed.GetProperty("name").GetString());
        Assert.Equal("completed", listed.GetProperty("status").GetString());
        Assert.Equal("cluster", listed.GetProperty("status_source").GetString());
        Assert.Equal(1, listed.GetProperty("metrics_tables").GetInt32());
        using var none = Json(await Tlc("runs", "--project", "other", "--json"));
        Assert.Empty(none.RootElement.EnumerateArray());

        using var info = Json(await Tlc("run", "info", "fm/eval", "--json"));
        var r = info.RootElement;
        Assert.Equal(["project", "name", "url", "status", "description", "created", "updated", "parameters", "aggregates", "metrics", "inputs", "outputs"],
            r.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Url.FromLocalPath(Path.Combine(_root.Path, "projects/fm/runs/eval")).Value, r.GetProperty("url").GetString());
        Assert.Equal("completed", r.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Object, r.GetProperty("parameters").ValueKind);
        Assert.Equal(accuracy, r.GetProperty("aggregates").GetProperty("test_accuracy_avg").GetDouble(), 1e-9);
        Assert.Equal(1, r.GetProperty("aggregates").GetProperty("epoch").GetDouble());
        var m = Assert.Single(r.GetProperty("metrics").EnumerateArray());
        Assert.Equal(["url", "stream_name", "row_count", "foreign_table_url"], m.EnumerateObject().Select(p => p.Name));
        Assert.Equal(metricsUrl, m.GetProperty("url").GetString());
        Assert.Equal("test", m.GetProperty("stream_name").GetString());
        Assert.Equal(100, m.GetProperty("row_count").GetInt64());
        Assert.Equal(table, m.GetProperty("foreign_table_url").GetString());
        Assert.Equal([table], r.GetProperty("inputs").EnumerateArray().Select(i => i.GetString()));

        var text = await Tlc("run", "info", "fm/eval");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("completed", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("test_accuracy_avg", text.Stdout, StringComparison.Ordinal);
        Assert.Contains(metricsUrl, text.Stdout, StringComparison.Ordinal);

        FailsWithOneLine(await Tlc("run", "info", "fm/missing"), 1, "No run fm/missing");
        FailsWithOneLine(await Tlc("run", "info", "no-slash"), 2, "PROJECT/RUN");
    }

    [Fact(Timeout = 120_000)]
    public async Task Jobs_DetachedShowCancel_FailedRetry_Json()
    {
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 10, _root.Path);

        // Submitted and left waiting: no worker runs anywhere.
        var detached = await CliProcess.RunAsync([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/pending", model: "factory:fashion-mnist-cnn"), "--detach", "--json"]);
        using var submitted = Json(detached);
        Assert.Contains("no worker is registered", detached.Stderr, StringComparison.Ordinal);
        var pendingId = submitted.RootElement.GetProperty("id").GetString()!;
        Assert.Equal("pending", submitted.RootElement.GetProperty("status").GetString());
        Assert.Equal(7, submitted.RootElement.GetProperty("shards").GetInt32());

        using var jobs = Json(await Tlc("jobs", "--json"));
        var only = Assert.Single(jobs.RootElement.EnumerateArray());
        Assert.Equal(["id", "kind", "status", "description", "run", "shards", "shards_committed", "shards_leased", "shards_failed", "rows", "rows_committed", "bytes",
            "bytes_committed", "rows_per_second", "eta_seconds", "lease_expirations", "retries", "submitted", "started", "finished", "result_url", "errors", "metrics_table_url"],
            only.EnumerateObject().Select(p => p.Name));
        Assert.Equal("metrics", only.GetProperty("kind").GetString());
        Assert.Equal(pendingId, only.GetProperty("id").GetString());
        Assert.Equal("fm/pending", only.GetProperty("run").GetString());
        Assert.Equal(100, only.GetProperty("rows").GetInt64());

        using var show = Json(await Tlc("job", "show", pendingId[..6], "--json"));
        Assert.Equal(pendingId, show.RootElement.GetProperty("id").GetString());
        var spec = show.RootElement.GetProperty("spec");
        Assert.Equal(table, spec.GetProperty("table_url").GetString());
        Assert.Equal(100, spec.GetProperty("table_rows").GetInt64());
        Assert.Equal("factory", spec.GetProperty("model").GetProperty("kind").GetString());
        Assert.Equal("fashion-mnist-cnn", spec.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(Url.FromLocalPath(ClusterCliSupport.Weights).Value, spec.GetProperty("model").GetProperty("weights_url").GetString());
        Assert.Equal(["classification", "embeddings"], spec.GetProperty("collectors").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(9, spec.GetProperty("collectors")[1].GetProperty("arguments").GetProperty("layers")[0].GetInt32());
        Assert.Equal(16, spec.GetProperty("shard_rows").GetInt32());
        Assert.Equal(1, spec.GetProperty("constants").GetProperty("epoch").GetInt32());

        using var cancelled = Json(await Tlc("job", "cancel", pendingId, "--json"));
        Assert.Equal("cancelled", cancelled.RootElement.GetProperty("status").GetString());
        FailsWithOneLine(await Tlc("job", "cancel", pendingId), 1, "already cancelled");
        FailsWithOneLine(await Tlc("job", "retry", pendingId), 1, "only a failed job can be retried");

        // A job whose model no worker can build fails at its first shard (a spec error: no retries), naming it; retry puts its failed shards back.
        var failing = await CliProcess.RunAsync([.. ClusterCliSupport.CollectArguments(_root.Path, table, "fm/failing", model: "factory:no-such-model"), "--max-attempts", "1", "--workers", "1"]);
        FailsWithOneLine(failing, 1, "no-such-model");
        using var both = Json(await Tlc("jobs", "--json"));
        Assert.Equal(2, both.RootElement.GetArrayLength());
        var failed = both.RootElement[0];
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains(failed.GetProperty("errors").EnumerateArray(), e => e.GetString()!.Contains("no-such-model", StringComparison.Ordinal));
        Assert.Equal(0, failed.GetProperty("retries").GetInt32());
        using var run = Json(await Tlc("run", "info", "fm/failing", "--json"));
        Assert.Equal("cancelled", run.RootElement.GetProperty("status").GetString());
        Assert.Empty(run.RootElement.GetProperty("metrics").EnumerateArray());

        using var retried = Json(await Tlc("job", "retry", failed.GetProperty("id").GetString()!, "--json"));
        Assert.Equal("running", retried.RootElement.GetProperty("status").GetString());
        Assert.Empty(retried.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(0, retried.RootElement.GetProperty("shards_failed").GetInt32());

        FailsWithOneLine(await Tlc("job", "show", "feedface"), 1, "No job 'feedface'");
        var text = await Tlc("jobs");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains(pendingId, text.Stdout, StringComparison.Ordinal);
        Assert.Contains("cancelled", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("metrics", text.Stdout, StringComparison.Ordinal);
        using var imports = Json(await Tlc("jobs", "--kind", "import", "--json"));
        Assert.Equal(0, imports.RootElement.GetArrayLength());
        FailsWithOneLine(await Tlc("jobs", "--kind", "nope"), 2, "--kind must be metrics, import or stream");
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_ModelFileMissing_FailsBeforeSubmitting_NoJobIsLeft()
    {
        var table = await ClusterCliSupport.ImportSubsetAsync(_root, 10, _root.Path);
        var missing = Path.Combine(_root.Path, "no-such-model.onnx");

        var result = await CliProcess.RunAsync(["collect", "--root", _root.Path, "--table", table, "--model", $"onnx:{missing}", "--collectors", "classification",
            "--collector-args", $"classification={ClusterCliSupport.ClassesJson}", "--run", "fm/missing-model", "--workers", "1"]);

        FailsWithOneLine(result, 1, $"{missing} does not exist; nothing was submitted");
        using var jobs = Json(await Tlc("jobs", "--json"));
        Assert.Equal(0, jobs.RootElement.GetArrayLength());
    }

    [Fact(Timeout = 120_000)]
    public async Task Worker_NoSiloRunning_FailsWithOneLineInsteadOfStartingOne()
    {
        FailsWithOneLine(await Tlc("worker"), 1, "No silo serves");
        Assert.False(File.Exists(Path.Combine(_root.Path, ".silo", "silo.json")), "a worker never starts a silo");
        var dll = await CliProcess.RunAsync(["--root", _root.Path], environment: null, timeout: null, assembly: "Tlc.Workers.dll");
        Assert.Equal(1, dll.ExitCode);
        Assert.Contains("No silo serves", dll.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await CliProcess.RunAsync(["--bogus"], assembly: "Tlc.Workers.dll")).ExitCode);
    }

    [Fact(Timeout = 120_000)]
    public async Task ClusterVerbs_BadCommandLines_ExitTwoWithOneLine()
    {
        FailsWithOneLine(await Tlc("worker", "--device", "tpu"), 2, "Unknown device 'tpu'");
        FailsWithOneLine(await Tlc("worker", "--threads", "0"), 2, "--threads");
        FailsWithOneLine(await Tlc("collect", "--table", "t", "--model", "resnet.onnx", "--collectors", "classification", "--run", "p/r"), 2, "not a model spec");
        FailsWithOneLine(await Tlc("collect", "--table", "t", "--model", "onnx:m.onnx", "--collectors", "classification", "--run", "p/r", "--batch-size", "64", "--shard-rows", "100"),
            2, "multiple of --batch-size");
        FailsWithOneLine(await Tlc("collect", "--table", "t", "--model", "onnx:m.onnx", "--collectors", "classification", "--collector-args", "embeddings={}", "--run", "p/r"),
            2, "not in --collectors");
        FailsWithOneLine(await Tlc("collect", "--table", "t", "--model", "onnx:m.onnx", "--collectors", "classification", "--run", "p"), 2, "PROJECT/RUN");
        FailsWithOneLine(await Tlc("collect", "--table", "t", "--model", "factory:x", "--model-args", "[1]", "--collectors", "classification", "--run", "p/r"), 2, "JSON object");
        Assert.Equal(2, (await Tlc("job", "show")).ExitCode);
    }

    [Fact(Timeout = 120_000)]
    public async Task NewVerbs_Help_HaveExamples()
    {
        foreach (var verb in new[] { "silo", "worker", "collect", "runs", "run info", "jobs", "job show", "job cancel", "job retry" })
        {
            var result = await CliProcess.RunAsync([.. verb.Split(' '), "--help"]);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains($"Example: tlc {verb}", result.Stdout, StringComparison.Ordinal);
        }
    }
}
