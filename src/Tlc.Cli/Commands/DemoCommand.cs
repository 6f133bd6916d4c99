using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tlc.Cluster;
using Tlc.DataTypes;
using Tlc.Metrics;
using Tlc.Metrics.Reduction;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Tlc.Workers;
using TorchSharp;

namespace Tlc.Cli.Commands;

/// <summary>
/// <c>tlc demo</c>: the main job on real data with the embedded single-node default — import Fashion-MNIST and a COCO set,
/// train a small CNN with a weighted sampler, collect per-sample metrics on the test split after every epoch with
/// distributed workers, reduce the embeddings, and show what the run found.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var fashion = new Option<string>("--fashion-mnist")
        {
            Description = "Folder of Fashion-MNIST's IDX files (Debian package dataset-fashion-mnist).",
            DefaultValueFactory = _ => "/usr/share/datasets/fashion-mnist",
        };
        var coco = new Option<string?>("--coco")
        {
            Description = "A COCO annotations file with its images beside it (default: TLC_DEMO_COCO; ./demo.sh passes labelme's example set).",
        };
        var project = new Option<string>("--project") { Description = "The project to write into.", DefaultValueFactory = _ => "demo" };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs (metrics are collected after each).", DefaultValueFactory = _ => 3 };
        var samples = new Option<int>("--samples-per-epoch") { Description = "Training samples drawn per epoch by the weighted sampler.", DefaultValueFactory = _ => 20_000 };
        var workers = new Option<int>("--workers") { Description = "In-process workers computing metrics shards.", DefaultValueFactory = _ => 2 };
        var command = new Command("demo",
            "The main job: import Fashion-MNIST (images written as PNGs) and a real COCO set into tables, edit a revision, train a small CNN\n" +
            "with a weighted sampler, collect per-sample metrics on the test split after each epoch with distributed workers, reduce the\n" +
            "embeddings, and print accuracy per epoch and the most confidently wrong samples.\n" +
            "Example: tlc demo --root /tmp/tlc-demo --epochs 2")
        {
            fashion, coco, project, epochs, samples, workers,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            var console = CliRunner.Console2;
            var p = parse.GetValue(project)!;
            var watch = Stopwatch.StartNew();
            console.MarkupLine($"[bold]Tlc demo[/] — root {Markup.Escape(settings.RootUrl.Value)}, project '{Markup.Escape(p)}'");

            // 1. Tables: Fashion-MNIST from its IDX files (pixels written as PNG bulk data), the COCO set.
            var train = await ImportFashionMnistAsync(parse.GetValue(fashion)!, "train", "train", p, console, ct);
            var test = await ImportFashionMnistAsync(parse.GetValue(fashion)!, "test", "t10k", p, console, ct);
            var cocoFile = parse.GetValue(coco) ?? Environment.GetEnvironmentVariable("TLC_DEMO_COCO")
                ?? throw new UsageException("Give the COCO set with --coco <annotations.json> (./demo.sh extracts labelme's example set and passes it).");
            using var cocoTable = await Table.FromCocoAsync(cocoFile, null, new CocoImportOptions
            {
                Project = p, Dataset = "labelme-coco", Table = "instances", Task = CocoTask.Segment, ValidateImages = true, IfExists = IfExists.Reuse,
            }, ct);
            var boxes = Enumerable.Range(0, cocoTable.Count).Sum(i => ((BoundingBoxes2D)cocoTable[i]["bbs"]!).Boxes.Count);
            console.MarkupLine(Markup.Escape($"labelme-coco/instances: {cocoTable.RowCount} images, {boxes} boxes (COCO, segmentation task)"));

            // 2. A revision of the training table, as a curator would make in 3LC's Dashboard: down-weight the first 500
            //    samples (the weighted sampler then rarely draws them).
            var head = await train.LatestAsync(cancellationToken: ct);
            var curated = head.Object.Revision.Number > 0 ? head
                : await head.Edit().SetWeights(Enumerable.Range(0, 500).Select(i => (long)i), 0.1f).Describe("demo: down-weight 500 samples").CommitAsync(ct);
            console.MarkupLine(Markup.Escape($"Training on {curated.Url.Name} (revision {curated.Object.Revision.Number} of {train.Name}: only its weight edits are stored)"));

            // 3. A run on the embedded cluster, with in-process workers.
            await using var connection = await ClusterConnection.ConnectAsync(settings, ct);
            var context = connection.Context;
            await using var run = await Runs.InitAsync(context, p, "fashion-mnist-cnn", new Dictionary<string, object?>
            {
                ["epochs"] = parse.GetValue(epochs), ["samples_per_epoch"] = parse.GetValue(samples), ["batch_size"] = 64,
                ["optimizer"] = "adam", ["learning_rate"] = 1e-3, ["sampler"] = "weighted", ["train_table"] = curated.Url.Value,
            }, description: "Tlc demo: a small CNN on Fashion-MNIST", cancellationToken: ct);
            await run.AddInputAsync(curated, ct);
            await run.AddInputAsync(test, ct);
            await run.SetStatusAsync(RunStatus.Running, ct);
            await using var pool = InProcessWorkers.Start(context, Math.Max(1, parse.GetValue(workers)));
            console.MarkupLine(Markup.Escape($"Run {run.Key} ({run.Url}); {parse.GetValue(workers)} in-process workers; silo hosted by this process: {connection.HostsSilo}"));

            // 4. Train, and collect metrics on the test split after each epoch.
            torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
            torch.manual_seed(7);
            using var model = new FashionMnistCnn();
            var classes = ((ScalarSchema)test.Schema["label"]).ValueMap!.Names;
            var collectors = new[]
            {
                new CollectorSpec("classification", JsonSerializer.Serialize(new { classes })),
                new CollectorSpec("embeddings", JsonSerializer.Serialize(new Dictionary<string, object> { ["layers"] = new[] { FashionMnistCnn.EmbeddingLayer }, ["dimensions"] = new Dictionary<string, int> { [$"{FashionMnistCnn.EmbeddingLayer}"] = FashionMnistCnn.EmbeddingSize } })),
            };
            var perEpoch = new List<(int Epoch, EpochResult Train, double TestAccuracy, Table Metrics, TimeSpan Collect)>();
            for (var epoch = 0; epoch < parse.GetValue(epochs); epoch++)
            {
                EpochResult? trained = null;
                await console.Status().StartAsync($"epoch {epoch}: training on {parse.GetValue(samples):N0} weighted samples", async _ =>
                {
                    await Task.Run(() => trained = ClassifierTrainer.Train(model, curated, FashionMnist.Preprocess, new ClassifierTrainerOptions
                    {
                        Epochs = 1, BatchSize = 64, Seed = 100 + epoch, Sampling = SamplingMode.Weighted, SamplesPerEpoch = parse.GetValue(samples),
                    }, cancellationToken: ct)[0], ct);
                });
                var weights = run.Url.Join($"models/epoch-{epoch}.dat");
                Directory.CreateDirectory(Path.GetDirectoryName(weights.LocalPathOrValue())!);
                model.save(weights.LocalPathOrValue());
                await run.LogAsync(new Dictionary<string, object?> { ["epoch"] = epoch, ["train_loss"] = trained!.Loss, ["train_accuracy"] = trained.Accuracy }, ct);

                var collectWatch = Stopwatch.StartNew();
                Table? metrics = null;
                await console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"epoch {epoch}: metrics of {test.RowCount:N0} test samples", maxValue: test.RowCount);
                        metrics = await run.CollectMetricsAsync(test, new ModelSpec(ModelKinds.Factory, "fashion-mnist-cnn", weights.Value), collectors, new CollectOptions
                        {
                            Split = "test", Constants = new Dictionary<string, object?> { ["epoch"] = epoch }, BatchSize = 256, ShardRows = 1024,
                            Progress = new Progress<JobProgress>(p =>
                            {
                                task.Value = p.RowsCommitted;
                                task.Description = $"epoch {epoch}: metrics {p.ItemsCommitted}/{p.Items} shards, {p.RowsPerSecond:N0} rows/s";
                            }),
                        }, ct);
                        task.Value = test.RowCount;
                    });
                var accuracy = (await run.GetInfoAsync(ct)).LatestAggregates["test_accuracy_avg"];
                perEpoch.Add((epoch, trained, accuracy, metrics!, collectWatch.Elapsed));
                console.MarkupLine(Markup.Escape($"epoch {epoch}: train loss {trained.Loss:F3}, train accuracy {trained.Accuracy:P1}, test accuracy {accuracy:P1} (metrics in {collectWatch.Elapsed.TotalSeconds:F1} s)"));
            }

            // 5. Post-processing: reduce the last epoch's embeddings to 2-D (a new revision of the metrics table).
            await run.SetStatusAsync(RunStatus.PostProcessing, ct);
            var last = perEpoch[^1].Metrics;
            var reduced = await EmbeddingReducer.AddReducedColumnAsync(last, $"embeddings_{FashionMnistCnn.EmbeddingLayer}",
                new EmbeddingReducerOptions { Components = 2 }, ct);
            await run.CompleteAsync(ct);
            // Charts: the logged aggregates per epoch, and the 2-D embeddings coloured by label (what tlc run plot writes).
            var plots = await Plots.RunPlots.WriteAsync(run, cancellationToken: ct);

            // 6. What the run found.
            console.WriteLine();
            var grid = new Spectre.Console.Table().AddColumns("epoch", "train loss", "train accuracy", "test accuracy", "metrics table", "collect");
            foreach (var (epoch, trained, accuracy, metrics, collect) in perEpoch)
            {
                grid.AddRow(epoch.ToString(CultureInfo.InvariantCulture), trained.Loss.ToString("F3", CultureInfo.InvariantCulture),
                    trained.Accuracy.ToString("P1", CultureInfo.InvariantCulture), accuracy.ToString("P1", CultureInfo.InvariantCulture),
                    Markup.Escape(metrics.Url.Name), $"{collect.TotalSeconds:F1} s");
            }
            console.Write(grid);

            var samplesJoined = await MetricsView.JoinAsync(last, cancellationToken: ct);
            var wrong = samplesJoined.Where(s => (int)s.Metrics["predicted"]! != (int)s.Input!["label"]!)
                .OrderByDescending(s => (float)s.Metrics["confidence"]!).Take(8).ToList();
            console.MarkupLine($"[bold]Most confidently wrong[/] (epoch {perEpoch[^1].Epoch}, {samplesJoined.Count(s => (int)s.Metrics["predicted"]! != (int)s.Input!["label"]!):N0} wrong of {samplesJoined.Count:N0}):");
            var wrongGrid = new Spectre.Console.Table().AddColumns("example_id", "label", "predicted", "confidence", "image");
            foreach (var s in wrong)
            {
                wrongGrid.AddRow(s.ExampleId.ToString(CultureInfo.InvariantCulture), Markup.Escape(classes[(int)s.Input!["label"]!]),
                    Markup.Escape(classes[(int)s.Metrics["predicted"]!]), ((float)s.Metrics["confidence"]!).ToString("F3", CultureInfo.InvariantCulture),
                    Markup.Escape(Path.GetFileName((string)s.Input["image"]!)));
            }
            console.Write(wrongGrid);

            console.MarkupLine("[bold]Where everything went[/]");
            console.MarkupLine(Markup.Escape($"  tables:          {TableLayoutFolder(train)} (train, revision {curated.Url.Name}, test), {cocoTable.Url.LocalPathOrValue()}"));
            console.MarkupLine(Markup.Escape($"  run:             {run.Url.LocalPathOrValue()} (object.tlc.json, log/, models/, metrics/)"));
            console.MarkupLine(Markup.Escape($"  metrics tables:  {string.Join(", ", perEpoch.Select(e => e.Metrics.Url.Name))}; 2-D embeddings in {reduced.Url.Name}"));
            console.MarkupLine(Markup.Escape($"  charts:          {plots.Folder.LocalPathOrValue()} ({string.Join(", ", plots.Files.Select(f => f.Url.Name))})"));
            console.MarkupLine(Markup.Escape($"  cluster state:   {Silo.Hosting.EmbeddedSilo.StateFolder(settings.RootUrl)}"));

            // The same summary as JSON beside the run, for scripts (and the test that checks it against the tables).
            var summary = new System.Text.Json.Nodes.JsonObject
            {
                ["run"] = run.Key,
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 1),
                ["epochs"] = new System.Text.Json.Nodes.JsonArray([.. perEpoch.Select(e => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonObject
                {
                    ["epoch"] = e.Epoch,
                    ["train_loss"] = e.Train.Loss,
                    ["train_accuracy"] = e.Train.Accuracy,
                    ["test_accuracy"] = e.TestAccuracy,
                    ["metrics_table"] = e.Metrics.Url.Value,
                    ["collect_seconds"] = Math.Round(e.Collect.TotalSeconds, 2),
                })]),
                ["most_confidently_wrong"] = new System.Text.Json.Nodes.JsonArray([.. wrong.Select(w => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonObject
                {
                    ["example_id"] = w.ExampleId,
                    ["label"] = classes[(int)w.Input!["label"]!],
                    ["predicted"] = classes[(int)w.Metrics["predicted"]!],
                    ["confidence"] = (float)w.Metrics["confidence"]!,
                })]),
                ["reduced_metrics_table"] = reduced.Url.Value,
                ["charts"] = new System.Text.Json.Nodes.JsonArray([.. plots.Files.Select(f => (System.Text.Json.Nodes.JsonNode?)f.Url.Value)]),
            };
            var summaryUrl = run.Url.Join("demo-summary.json");
            await context.Adapters.WriteAllBytesAsync(summaryUrl, System.Text.Encoding.UTF8.GetBytes(summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true })), Tables.Urls.WriteMode.Overwrite, ct);
            console.MarkupLine(Markup.Escape($"  summary (JSON):  {summaryUrl.LocalPathOrValue()}"));

            var tlc = Environment.GetEnvironmentVariable("TLC_CLI_NAME") ?? "tlc";
            var rootArg = parse.GetValue(CliContext.Root) is { } r ? $" --root {r}" : "";
            console.WriteLine();
            console.MarkupLine($"Done in {watch.Elapsed.TotalSeconds:F0} s. Next, try:");
            foreach (var next in new[]
            {
                $"{tlc} tables --project {p}{rootArg}",
                $"{tlc} run plot {run.Key}{rootArg}",
                $"{tlc} table rows {last.Url.Value} --from 0 --count 5",
                $"{tlc} table edit {curated.Url.Value} --weight 10-19=2",
                $"{tlc} export {cocoTable.Url.Value} yolo /tmp/labelme-yolo",
            })
            {
                console.MarkupLine(Markup.Escape($"  {next}"));
            }
            console.MarkupLine(Markup.Escape($"Look at it in a browser: {tlc} dashboard{rootArg}"));
            return CliRunner.Ok;
        }));
        return command;
    }

    private static string TableLayoutFolder(Table table) => table.Url.Parent.LocalPathOrValue();

    private static async Task<Table> ImportFashionMnistAsync(string folder, string split, string prefix, string project, IAnsiConsole console, CancellationToken ct)
    {
        var options = new ImportOptions { Project = project, Dataset = "fashion-mnist", Table = split, IfExists = IfExists.Reuse };
        if (await options.FindReusableAsync(ct) is { } existing)
        {
            console.MarkupLine($"fashion-mnist/{split}: reusing {existing.RowCount:N0} rows");
            return existing;
        }
        Table? table = null;
        await console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"fashion-mnist/{split}: writing PNGs", maxValue: prefix == "train" ? 60_000 : 10_000);
                table = await FashionMnist.ImportIdxAsync(folder, prefix, options, new InlineProgress<int>(n => task.Value = n), ct);
            });
        return table!;
    }
}

internal static class UrlDisplay
{
    public static string LocalPathOrValue(this Url url) => url.IsFile ? url.LocalPath : url.Value;
}

/// <summary>Reports on the calling thread (the progress bar is updated in order).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
