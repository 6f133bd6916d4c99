using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tlc.Cluster;
using Tlc.Workers;

namespace Tlc.Cli.Commands;

/// <summary>
/// <c>tlc collect</c>: distributed collect_metrics from the command line — submits a metrics job for a table, model spec
/// and collector specs into a run, shows progress (rows/s, shards, ETA) and prints the published metrics table.
/// </summary>
internal static class CollectCommand
{
    /// <summary>How recently a worker must have sent a heartbeat to count as running.</summary>
    private static readonly TimeSpan WorkerLiveness = TimeSpan.FromSeconds(15);

    public static Command Create()
    {
        var table = new Option<string>("--table") { Description = "The input table (folder path or URL; the exact revision given is used).", Required = true };
        var model = new Option<string>("--model")
        {
            Description = "The model spec: factory:NAME[@WEIGHTS] (a registered or plugin model factory, weights a path or URL), torchscript:PATH or onnx:PATH.",
            Required = true,
        };
        var modelArgs = new Option<string?>("--model-args") { Description = "Model arguments as a JSON object, e.g. '{\"normalize\": true}'." };
        var device = new Option<string>("--device") { Description = "The device named in the model spec (workers started with --device override it).", DefaultValueFactory = _ => "cpu" };
        var collectors = new Option<string>("--collectors") { Description = "Comma-separated collector names, e.g. classification,embeddings.", Required = true };
        var collectorArgs = new Option<string[]>("--collector-args")
        {
            Description = "NAME=JSON arguments of one collector, e.g. embeddings='{\"layers\": [9]}'; repeat per collector.",
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => [],
        };
        var run = new Option<string>("--run") { Description = "The run as PROJECT/RUN (created when new, reused when it exists).", Required = true };
        var split = new Option<string?>("--split") { Description = "The split name: names the metrics stream and the aggregates <split>_<column>_avg." };
        var epoch = new Option<int?>("--epoch") { Description = "An 'epoch' constant stored in every row (the aggregates' axis)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per model batch.", DefaultValueFactory = _ => 64 };
        var shardRows = new Option<int>("--shard-rows") { Description = "Rows per shard (a multiple of --batch-size).", DefaultValueFactory = _ => 4096 };
        var excludeZero = new Option<bool>("--exclude-zero-weights") { Description = "Skip rows whose weight is 0." };
        var workers = new Option<int?>("--workers")
        {
            Description = "Workers to run inside this command. Default: 1 when no worker is registered with the cluster (e.g. the embedded default " +
                "with no 'tlc worker' running), else 0 (the registered workers compute).",
        };
        var plugins = ClusterCli.Plugins();
        var leaseSeconds = new Option<double>("--lease-seconds") { Description = "How long a shard lease lasts without renewal (a dead worker's shards wait this long).", DefaultValueFactory = _ => 30.0 };
        var maxAttempts = new Option<int>("--max-attempts") { Description = "Attempts per shard before the job fails.", DefaultValueFactory = _ => 3 };
        var detach = new Option<bool>("--detach") { Description = "Submit the job and return its id without waiting (follow it with tlc job show ID); no aggregates are logged." };
        var command = new Command("collect",
            "Collect per-sample metrics of a model over a table into a run's metrics table, computed by the cluster's workers in shards\n" +
            "(exactly once per example_id), with a progress bar (rows/s, shards, ETA). Ctrl+C cancels the job. The run is left completed.\n" +
            "Example: tlc collect --table ~/.local/share/tlc/projects/demo/datasets/fashion-mnist/tables/test --model factory:fashion-mnist-cnn@cnn.dat " +
            "--collectors classification,embeddings --collector-args embeddings='{\"layers\": [9]}' --run demo/eval --split test --epoch 3")
        {
            table, model, modelArgs, device, collectors, collectorArgs, run, split, epoch, batchSize, shardRows, excludeZero, workers, plugins,
            leaseSeconds, maxAttempts, detach, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            var json = parse.GetValue(CliContext.Json);
            var (project, runName) = ClusterCli.RunKey(parse.GetValue(run)!);
            var modelSpec = MetricsSpecText.Model(parse.GetValue(model)!, parse.GetValue(modelArgs), parse.GetValue(device)!);
            var collectorSpecs = MetricsSpecText.Collectors(parse.GetValue(collectors)!, parse.GetValue(collectorArgs) ?? []);
            var batch = parse.GetValue(batchSize);
            var shard = parse.GetValue(shardRows);
            if (batch < 1 || shard < 1 || shard % batch != 0)
            {
                throw new UsageException($"--shard-rows ({shard}) must be a positive multiple of --batch-size ({batch}).");
            }
            if (parse.GetValue(workers) is < 0 || parse.GetValue(maxAttempts) < 1 || !(parse.GetValue(leaseSeconds) > 0))
            {
                throw new UsageException("--workers must not be negative, --max-attempts must be at least 1 and --lease-seconds positive.");
            }
            if (parse.GetValue(detach) && parse.GetValue(workers) is > 0)
            {
                throw new UsageException("--detach returns at once, so workers inside this command would stop with it: run 'tlc worker' instead.");
            }
            ClusterCli.LoadPlugins(parse.GetValue(plugins) ?? []);

            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var context = connection.Context;
            using var input = await Tlc.Tables.Table.OpenAsync(parse.GetValue(table)!, context.Adapters, ct);
            var existing = await context.RunGrain(project, runName).GetAsync().WaitAsync(ct);
            if (existing.Exists && existing.Owner is { } owner && existing.Status is RunStatus.Empty or RunStatus.Running or RunStatus.Collecting or RunStatus.PostProcessing)
            {
                throw new InvalidOperationException(
                    $"The run {project}/{runName} is {ClusterCli.Name(existing.Status)} and owned by the live process {owner}: collect into another run, or wait until it ends.");
            }
            var registered = await context.Client.GetGrain<IWorkerRegistryGrain>(JobKeys.Registry).ListAsync(WorkerLiveness).WaitAsync(ct);
            var live = registered.Count(w => !w.Draining);
            var local = parse.GetValue(workers) ?? (live == 0 && !parse.GetValue(detach) ? 1 : 0);
            if (local == 0 && live == 0)
            {
                await Console.Error.WriteLineAsync(
                    $"tlc: warning: no worker is registered with the cluster; the job waits until one starts (tlc worker --root {settings.RootUrl}).");
            }

            await using var theRun = await Runs.InitAsync(context, project, runName, ifExists: RunIfExists.Reuse, cancellationToken: ct);
            await using var pool = local > 0
                ? InProcessWorkers.Start(context, local, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(250) })
                : null;
            var jobId = Guid.NewGuid().ToString("N");
            var constants = parse.GetValue(epoch) is { } e ? new Dictionary<string, object?> { ["epoch"] = e } : null;
            var interactive = !json && !Console.IsOutputRedirected;
            var outageLines = new OutageLines(connection.Reachability.ReconnectTimeout, interactive);
            using var outages = connection.Reachability.Subscribe(outageLines);
            var options = new CollectOptions
            {
                JobId = jobId,
                Split = parse.GetValue(split),
                Constants = constants,
                ExcludeZeroWeights = parse.GetValue(excludeZero),
                BatchSize = batch,
                ShardRows = shard,
                MaxAttempts = parse.GetValue(maxAttempts),
                LeaseDuration = TimeSpan.FromSeconds(parse.GetValue(leaseSeconds)),
            };

            if (parse.GetValue(detach))
            {
                try
                {
                    await MetricsJob.SubmitAsync(theRun, input, modelSpec, collectorSpecs, options, ct);
                }
                catch (Exception)
                {
                    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await ReleaseAsync(theRun, existing, stop.Token);
                    throw;
                }
                await theRun.CompleteAsync(ct);
                var submitted = await (await JobHandle.AttachAsync(context, jobId, ct)).GetProgressAsync(ct);
                if (json)
                {
                    JsonOutput.Write(ClusterCli.Progress(submitted));
                }
                else
                {
                    Console.WriteLine($"Job {jobId} submitted: {submitted.Items} shards, {submitted.Rows:N0} rows into run {project}/{runName}. Follow it with: tlc job show {jobId}");
                }
                return CliRunner.Ok;
            }

            var watch = Stopwatch.StartNew();
            Tlc.Tables.Table metrics;
            try
            {
                if (interactive)
                {
                    metrics = await CliRunner.Console2.Progress()
                        .AutoClear(false)
                        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                        .StartAsync(async progressContext =>
                        {
                            var task = progressContext.AddTask($"job {jobId[..8]}: waiting for workers", maxValue: 1);
                            outageLines.Status = waiting => task.Description = Markup.Escape($"job {jobId[..8]} {waiting ?? "reconnected"}");
                            var reporter = new Reporter(p =>
                            {
                                task.MaxValue = Math.Max(1, p.Rows);
                                task.Value = p.RowsCommitted;
                                task.Description = Markup.Escape(ClusterCli.Describe(p));
                            });
                            return await theRun.CollectMetricsAsync(input, modelSpec, collectorSpecs, With(options, reporter), ct);
                        });
                }
                else
                {
                    var announced = false;
                    var reporter = new Reporter(p =>
                    {
                        if (!announced && !json)
                        {
                            announced = true;
                            Console.WriteLine($"Job {p.JobId}: {p.Items} shards, {p.Rows:N0} rows; {local} worker(s) in this process, {live} registered.");
                        }
                    });
                    metrics = await theRun.CollectMetricsAsync(input, modelSpec, collectorSpecs, With(options, reporter), ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C: the job stops too (nothing is published).
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await context.Client.GetGrain<IJobGrain>(jobId).CancelAsync().WaitAsync(stop.Token);
                await ReleaseAsync(theRun, existing, stop.Token);
                throw;
            }
            catch (Exception error) when (error is not ClusterUnavailableException)
            {
                // (Not when no silo was reached: nothing could release the run then, and it reads as interrupted once this process ends.)
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await ReleaseAsync(theRun, existing, stop.Token);
                throw;
            }
            using (metrics)
            {
                await theRun.CompleteAsync(ct);
                var final = await (await JobHandle.AttachAsync(context, jobId, ct)).GetProgressAsync(ct);
                var info = await theRun.GetInfoAsync(ct);
                var columns = metrics.Schema.Names.ToList();
                if (json)
                {
                    JsonOutput.Write(new JsonObject
                    {
                        ["job_id"] = jobId,
                        ["run"] = $"{project}/{runName}",
                        ["run_url"] = theRun.Url.Value,
                        ["metrics_table_url"] = metrics.Url.Value,
                        ["rows"] = metrics.RowCount,
                        ["columns"] = new JsonArray([.. columns.Select(c => (JsonNode?)JsonValue.Create(c))]),
                        ["shards"] = final.Items,
                        ["rows_per_second"] = Math.Round(final.RowsPerSecond, 1),
                        ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2),
                        ["workers_in_process"] = local,
                        ["aggregates"] = new JsonObject(info.LatestAggregates.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                            .Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, JsonValue.Create(kv.Value)))),
                    });
                    return CliRunner.Ok;
                }
                Console.WriteLine($"Metrics table {metrics.Url}: {metrics.RowCount:N0} rows, columns {string.Join(", ", columns)}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Job {jobId}: {final.Items} shards, {final.RowsPerSecond:N0} rows/s, {watch.Elapsed.TotalSeconds:F1} s; run {project}/{runName} completed."));
                var prefix = parse.GetValue(split) is { } s ? $"{s}_" : "";
                foreach (var (key, value) in info.LatestAggregates.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && kv.Key.EndsWith("_avg", StringComparison.Ordinal))
                    .OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key} = {value:G6}"));
                }
                return CliRunner.Ok;
            }
        }));
        return command;
    }

    /// <summary>
    /// After a failed or cancelled collection the command gives the run up: back to how it ended before when it had ended,
    /// else cancelled (so it is not left owned by a process that is gone).
    /// </summary>
    private static async Task ReleaseAsync(Run run, RunInfo before, CancellationToken cancellationToken)
    {
        switch (before.Exists ? before.Status : RunStatus.Empty)
        {
            case RunStatus.Completed:
                await run.CompleteAsync(cancellationToken);
                break;
            case RunStatus.Paused or RunStatus.Interrupted:
                await run.SetStatusAsync(before.Status, cancellationToken);
                break;
            default:
                await run.CancelAsync(cancellationToken);
                break;
        }
    }

    private static CollectOptions With(CollectOptions o, IProgress<JobProgress> progress) => new()
    {
        JobId = o.JobId, Split = o.Split, Constants = o.Constants, ExcludeZeroWeights = o.ExcludeZeroWeights, BatchSize = o.BatchSize,
        ShardRows = o.ShardRows, MaxAttempts = o.MaxAttempts, LeaseDuration = o.LeaseDuration, Progress = progress,
    };

    /// <summary>Reports synchronously on the polling thread (Progress&lt;T&gt; would post to the thread pool out of order).</summary>
    private sealed class Reporter(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
