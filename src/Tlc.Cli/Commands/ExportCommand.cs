using System.CommandLine;
using System.Text.Json.Nodes;
using Tlc.Tables.Export;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc export &lt;url&gt; &lt;format&gt; &lt;target&gt;</c>.</summary>
internal static class ExportCommand
{
    private enum ExportFormat
    {
        Csv,
        Parquet,
        Json,
        Coco,
        Yolo,
    }

    public static Command Create()
    {
        var url = new Argument<string>("url") { Description = "The table's folder (path or URL)." };
        var format = new Argument<ExportFormat>("format") { Description = "csv, parquet, json (lines), coco or yolo." };
        var target = new Argument<string>("target") { Description = "The file (csv, parquet, json, coco) or folder (yolo) to write." };
        var threshold = new Option<float?>("--weight-threshold") { Description = "Leave out rows whose weight is below this." };
        var command = new Command("export",
            "Export a table (its latest content as given: a revision exports with its edits).\n" +
            "Example: tlc export ~/.local/share/tlc/projects/demo/datasets/coco/tables/val coco /tmp/val.json --weight-threshold 0.5")
        {
            url, format, target, threshold, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            CliContext.Settings(parse);
            using var table = await Table.OpenAsync(parse.GetValue(url)!, CliContext.Adapters, ct);
            var to = parse.GetValue(target)!;
            var weight = parse.GetValue(threshold);
            var result = parse.GetValue(format) switch
            {
                ExportFormat.Csv => await table.ExportCsvAsync(to, new ExportOptions { WeightThreshold = weight }, ct),
                ExportFormat.Parquet => await table.ExportParquetAsync(to, new ExportOptions { WeightThreshold = weight }, ct),
                ExportFormat.Json => await table.ExportJsonAsync(to, new JsonExportOptions { WeightThreshold = weight }, ct),
                ExportFormat.Coco => await table.ExportCocoAsync(to, new CocoExportOptions { WeightThreshold = weight }, ct),
                ExportFormat.Yolo => await table.ExportYoloAsync(to, new YoloExportOptions { WeightThreshold = weight }, ct),
                _ => throw new UsageException("Unknown export format."),
            };
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonObject { ["target"] = result.Target.Value, ["rows"] = result.Rows, ["skipped_rows"] = result.SkippedRows });
            }
            else
            {
                Console.WriteLine($"{result.Target} ({result.Rows:N0} rows{(result.SkippedRows > 0 ? $", {result.SkippedRows:N0} below the weight threshold left out" : "")})");
            }
            return CliRunner.Ok;
        }));
        return command;
    }
}
