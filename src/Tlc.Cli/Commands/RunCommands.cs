using Tlc.Tables.Storage;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tlc.Cluster;
using Tlc.Plots;
using Tlc.Tables.Urls;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc runs</c> (every run under the root), <c>tlc run info P/R</c>, <c>tlc run plot P/R</c> and <c>tlc run reduce P/R</c>.</summary>
internal static class RunCommands
{
    public static Command Runs()
    {
        var project = new Option<string?>("--project") { Description = "Only this project." };
        var command = new Command("runs",
            "List the runs under the root (run folders with object.tlc.json), with their status fresh from the cluster.\n" +
            "Example: tlc runs --project demo --json")
        {
            project, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var runs = new List<(ListedRun Listed, RunInfo? Info)>();
            foreach (var listed in await RootCatalog.ListRunsAsync(connection.Adapters, settings.RootUrl, parse.GetValue(project), ct))
            {
                var info = await connection.Context.RunGrain(listed.Project, listed.Name).GetAsync().WaitAsync(ct);
                runs.Add((listed, info.Exists ? info : null));
            }
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonArray([.. runs.Select(r => (JsonNode?)Summary(r.Listed, r.Info))]));
                return CliRunner.Ok;
            }
            if (runs.Count == 0)
            {
                Console.WriteLine($"No runs under {settings.RootUrl}. Start one with: tlc collect ... --run PROJECT/RUN");
                return CliRunner.Ok;
            }
            var grid = new Spectre.Console.Table().AddColumns("project", "run", "status", "metrics tables", "aggregates", "updated");
            foreach (var (listed, info) in runs)
            {
                var summary = Summary(listed, info);
                var aggregates = (JsonObject)summary["aggregates"]!;
                grid.AddRow(Markup.Escape(listed.Project), Markup.Escape(listed.Name), Markup.Escape((string)summary["status"]!),
                    summary["metrics_tables"]!.ToJsonString(),
                    Markup.Escape(string.Join(", ", aggregates.Take(3).Select(kv => $"{kv.Key}={Format(kv.Value)}")) + (aggregates.Count > 3 ? ", …" : "")),
                    DateTimeOffset.TryParse((string?)summary["updated"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var updated)
                        ? updated.ToString("u", CultureInfo.InvariantCulture) : "");
            }
            CliRunner.Console2.Write(grid);
            return CliRunner.Ok;
        }));
        return command;
    }

    public static Command Run()
    {
        var run = new Command("run", "Inspect one run.");
        var key = new Argument<string>("run") { Description = "The run as PROJECT/RUN." };
        var info = new Command("info",
            "Show a run's status, parameters, aggregates, metrics tables (with row counts), input tables and outputs\n" +
            "(models, exports and files the run recorded: name, kind, URL, size, time).\n" +
            "Example: tlc run info demo/fashion-mnist-cnn --json")
        {
            key, CliContext.Json,
        };
        info.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            var (project, name) = ClusterCli.RunKey(parse.GetValue(key)!);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var r = await connection.Context.RunGrain(project, name).GetAsync().WaitAsync(ct);
            if (!r.Exists)
            {
                throw new KeyNotFoundException($"No run {project}/{name} in the cluster of {settings.RootUrl} (list them with: tlc runs).");
            }
            var parameters = JsonNode.Parse(string.IsNullOrWhiteSpace(r.ParametersJson) ? "{}" : r.ParametersJson) as JsonObject ?? [];
            var json = new JsonObject
            {
                ["project"] = r.Project,
                ["name"] = r.Name,
                ["url"] = r.Url,
                ["status"] = ClusterCli.Name(r.Status),
                ["description"] = r.Description,
                ["created"] = ClusterCli.Time(r.Created),
                ["updated"] = ClusterCli.Time(r.Updated),
                ["parameters"] = parameters,
                ["aggregates"] = Aggregates(r),
                ["metrics"] = new JsonArray([.. r.MetricsTables.Select(m => (JsonNode?)new JsonObject
                {
                    ["url"] = m.Url,
                    ["stream_name"] = m.StreamName,
                    ["row_count"] = m.RowCount,
                    ["foreign_table_url"] = m.ForeignTableUrl,
                })]),
                ["inputs"] = new JsonArray([.. r.Inputs.Select(i => (JsonNode?)JsonValue.Create(i))]),
                ["outputs"] = new JsonArray([.. r.Outputs.Select(o => (JsonNode?)new JsonObject
                {
                    ["name"] = o.Name,
                    ["kind"] = o.Kind,
                    ["url"] = o.Url,
                    ["description"] = o.Description,
                    ["size"] = o.Size,
                    ["created"] = ClusterCli.Time(o.Created),
                })]),
            };
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(json);
                return CliRunner.Ok;
            }
            var console = CliRunner.Console2;
            console.MarkupLine($"[bold]{Markup.Escape($"{r.Project}/{r.Name}")}[/]  {Markup.Escape(ClusterCli.Name(r.Status))}   {Markup.Escape(r.Url)}");
            if (r.Description is { } description)
            {
                console.MarkupLine($"description: {Markup.Escape(description)}");
            }
            console.MarkupLine(Markup.Escape($"created {r.Created:u}, updated {r.Updated:u}, {r.LogEntries} log entries"));
            if (parameters.Count > 0)
            {
                var grid = new Spectre.Console.Table().AddColumns("parameter", "value");
                foreach (var (k, v) in parameters)
                {
                    grid.AddRow(Markup.Escape(k), Markup.Escape(v?.ToJsonString() ?? "null"));
                }
                console.Write(grid);
            }
            if (r.LatestAggregates.Count > 0)
            {
                var grid = new Spectre.Console.Table().AddColumns("aggregate", "latest");
                foreach (var (k, v) in r.LatestAggregates.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    grid.AddRow(Markup.Escape(k), v.ToString("G6", CultureInfo.InvariantCulture));
                }
                console.Write(grid);
            }
            foreach (var m in r.MetricsTables)
            {
                // One line each: URLs stay whole for copying.
                console.MarkupLine(Markup.Escape($"metrics table: {m.Url} (stream {m.StreamName}, {m.RowCount:N0} rows) over {m.ForeignTableUrl}"));
            }
            foreach (var input in r.Inputs)
            {
                console.MarkupLine($"input: {Markup.Escape(input)}");
            }
            foreach (var o in r.Outputs)
            {
                // One line each, never wrapped: the URL stays whole for copying.
                var size = o.Size is { } bytes ? $", {bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes" : "";
                var about = o.Description is { Length: > 0 } d ? $" — {d}" : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"output: {o.Name} ({o.Kind}{size}, {o.Created:u}) {o.Url}{about}"));
            }
            return CliRunner.Ok;
        }));
        run.Add(info);
        run.Add(Plot(key));
        run.Add(RunReduceCommand.Create(key));
        return run;
    }

    /// <summary><c>tlc run plot P/R</c>: PNG charts of the run's aggregates and reduced embeddings.</summary>
    private static Command Plot(Argument<string> key)
    {
        var output = new Option<string?>("--out") { Description = "The folder to write into (a path or URL; default: plots/ in the run's folder)." };
        var width = new Option<int>("--width") { Description = "Image width in pixels.", DefaultValueFactory = _ => 800 };
        var height = new Option<int>("--height") { Description = "Image height in pixels.", DefaultValueFactory = _ => 500 };
        var epoch = new Option<long?>("--epoch") { Description = "Scatter the metrics table of this epoch (default: the latest with 2-D embeddings)." };
        var stream = new Option<string?>("--stream") { Description = "Scatter a metrics table of this stream (split), e.g. test." };
        var column = new Option<string?>("--column") { Description = "The 2-D embedding column to scatter (default: the reduced one, e.g. embeddings_9_pca)." };
        var label = new Option<string?>("--label") { Description = "The column that colours the scatter (default: the input table's categorical label)." };
        var font = new Option<string?>("--font") { Description = "A .ttf font file for the text (default: the system's, else DejaVu/Liberation/Noto Sans when installed)." };
        var plot = new Command("plot",
            "Write PNG charts of a run: a line chart per kind of logged aggregate across epochs or steps (train_loss, val_loss\n" +
            "and test_loss_avg share 'loss'), and a scatter of the latest metrics table's 2-D reduced embeddings coloured by the\n" +
            "input table's label. Prints each file written; fails when the run has neither aggregates nor 2-D embeddings.\n" +
            "Example: tlc run plot demo/fashion-mnist-cnn --out plots --width 1200 --height 800")
        {
            key, output, width, height, epoch, stream, column, label, font, CliContext.Json,
        };
        plot.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var (w, h) = (parse.GetValue(width), parse.GetValue(height));
            if (w is < 50 or > 10_000 || h is < 50 or > 10_000)
            {
                throw new UsageException($"--width and --height must be between 50 and 10000 pixels (got {w}x{h}).");
            }
            var settings = CliContext.Settings(parse);
            var (project, name) = ClusterCli.RunKey(parse.GetValue(key)!);
            var folder = parse.GetValue(output) is { } o ? (Url.IsAbsolute(o) ? new Url(o) : Url.FromLocalPath(o)) : (Url?)null;
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var result = await RunPlots.WriteAsync(connection.Context, project, name, new RunPlotOptions
            {
                OutputFolder = folder, Width = w, Height = h, Epoch = parse.GetValue(epoch), Stream = parse.GetValue(stream),
                EmbeddingColumn = parse.GetValue(column), LabelColumn = parse.GetValue(label), FontFile = parse.GetValue(font),
            }, ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonObject
                {
                    ["run"] = $"{project}/{name}",
                    ["folder"] = result.Folder.Value,
                    ["files"] = new JsonArray([.. result.Files.Select(f => (JsonNode?)new JsonObject
                    {
                        ["path"] = f.Url.LocalPathOrValue(),
                        ["url"] = f.Url.Value,
                        ["kind"] = f.Kind == PlotKind.Aggregates ? "aggregates" : "embeddings",
                        ["title"] = f.Title,
                        ["description"] = f.Description,
                        ["series"] = new JsonArray([.. f.Series.Select(s => (JsonNode?)JsonValue.Create(s))]),
                        ["points"] = f.Points,
                        ["source"] = f.Source?.Value,
                        ["width"] = w,
                        ["height"] = h,
                    })]),
                    ["notes"] = new JsonArray([.. result.Notes.Select(n => (JsonNode?)JsonValue.Create(n))]),
                });
                return CliRunner.Ok;
            }
            foreach (var f in result.Files)
            {
                Console.WriteLine($"{f.Url.LocalPathOrValue()}  {f.Description}");
            }
            foreach (var note in result.Notes)
            {
                await Console.Error.WriteLineAsync($"tlc: note: {note}");
            }
            return CliRunner.Ok;
        }));
        return plot;
    }

    private static JsonObject Aggregates(RunInfo r) => new(r.LatestAggregates.OrderBy(kv => kv.Key, StringComparer.Ordinal)
        .Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, double.IsFinite(kv.Value) ? JsonValue.Create(kv.Value) : JsonValue.Create(kv.Value.ToString(CultureInfo.InvariantCulture)))));

    private static string Format(JsonNode? value) => value is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString("G4", CultureInfo.InvariantCulture) : value?.ToJsonString() ?? "";

    /// <summary>
    /// One run of the listing: the cluster's view when the run grain knows it (status fresh from the grain), else the run
    /// folder's snapshot (e.g. a root whose cluster state was deleted), marked so by <c>status_source</c>.
    /// </summary>
    private static JsonObject Summary(ListedRun listed, RunInfo? info)
    {
        if (info is not null)
        {
            return new JsonObject
            {
                ["project"] = listed.Project,
                ["name"] = listed.Name,
                ["url"] = listed.Url.Value,
                ["status"] = ClusterCli.Name(info.Status),
                ["status_source"] = "cluster",
                ["description"] = info.Description,
                ["created"] = ClusterCli.Time(info.Created),
                ["updated"] = ClusterCli.Time(info.Updated),
                ["metrics_tables"] = info.MetricsTables.Count,
                ["inputs"] = info.Inputs.Count,
                ["outputs"] = info.Outputs.Count,
                ["aggregates"] = Aggregates(info),
            };
        }
        var snapshot = listed.Snapshot;
        return new JsonObject
        {
            ["project"] = listed.Project,
            ["name"] = listed.Name,
            ["url"] = listed.Url.Value,
            ["status"] = snapshot["status"] is JsonValue s && s.TryGetValue<string>(out var text) ? ClusterCli.Name(Enum.TryParse<RunStatus>(text, out var status) ? status : RunStatus.Empty) : "empty",
            ["status_source"] = "snapshot",
            ["description"] = snapshot["description"]?.DeepClone(),
            ["created"] = snapshot["created"]?.DeepClone(),
            ["updated"] = snapshot["updated"]?.DeepClone(),
            ["metrics_tables"] = (snapshot["metrics"] as JsonArray)?.Count ?? 0,
            ["inputs"] = (snapshot["inputs"] as JsonArray)?.Count ?? 0,
            ["outputs"] = (snapshot["outputs"] as JsonArray)?.Count ?? 0,
            ["aggregates"] = snapshot["aggregates"] is JsonObject a ? a.DeepClone() : new JsonObject(),
        };
    }
}
